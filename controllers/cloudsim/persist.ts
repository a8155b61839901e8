/**
 * `--state FILE`: the emulator's state survives restarts. Writes are debounced and
 * atomic (write a temporary file next to the target, then rename over it), so a crash
 * mid-write never leaves a truncated file behind.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { defaultRam, type CloudState } from './state.js';

export function loadState(file: string): CloudState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const s = parsed as CloudState;
  for (const key of ['vpcs', 'routeTables', 'scalingGroups', 'instances', 'registries', 'slsProjects'] as const) {
    if (!Array.isArray(s?.[key])) throw new Error(`state file ${file} has no "${key}" list; is it a kubeloop cloudsim state file?`);
  }
  // lists added in later versions default to empty
  s.instanceTypes ??= [];
  s.scalingConfigurations ??= [];
  s.registryCredentials ??= [];
  s.registryBearers ??= [];
  s.slsTags ??= [];
  s.stsCredentials ??= [];
  s.ipSeq ??= 10;
  s.ram ??= defaultRam();
  return s;
}

export function writeStateAtomically(file: string, state: CloudState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Debounced writer: many changes in a burst produce one write. */
export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  lastError: Error | undefined;

  constructor(private readonly file: string, private readonly state: () => CloudState, private readonly debounceMs = 200) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, this.debounceMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    try {
      writeStateAtomically(this.file, this.state());
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err as Error;
      process.emitWarning(`cloudsim: could not write state file ${this.file}: ${(err as Error).message}`);
    }
  }
}
