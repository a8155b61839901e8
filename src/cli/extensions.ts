/**
 * Finds and loads the CLI extensions (./extension.ts) of the project the command runs in.
 *
 * The project is the nearest directory at or above the working directory that holds a
 * package.json. Candidates, each loaded once, in this order:
 *   1. the project itself,
 *   2. its npm workspaces (`"workspaces": ["controllers", "packages/*"]`),
 *   3. its dependencies and devDependencies, found in node_modules folders at or above it.
 * A candidate is an extension when its package.json has `kubeloop.cliExtension`, a path
 * inside the package to a module whose default export is a `CliExtension`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CliExtension } from './extension.js';

interface PackageJson {
  name?: string;
  workspaces?: string[] | { packages?: string[] };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  kubeloop?: { cliExtension?: string };
}

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** The nearest directory at or above `from` that holds a package.json, or undefined. */
export function findProjectDir(from: string = process.cwd()): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Workspace member directories of `pkg` (plain paths and one trailing `/*` glob). */
function workspaceDirs(projectDir: string, pkg: PackageJson): string[] {
  const patterns = Array.isArray(pkg.workspaces) ? pkg.workspaces : (pkg.workspaces?.packages ?? []);
  const out: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('/*')) {
      const parent = join(projectDir, p.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const name of readdirSync(parent)) if (statSync(join(parent, name)).isDirectory()) out.push(join(parent, name));
    } else out.push(join(projectDir, p));
  }
  return out;
}

/** The installed directory of dependency `name`, looked up in node_modules at or above `projectDir`. */
function dependencyDir(projectDir: string, name: string): string | undefined {
  for (let dir = projectDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Package directories whose package.json declares `kubeloop.cliExtension`, in load order. */
export function discoverExtensions(from: string = process.cwd()): Array<{ dir: string; module: string }> {
  const projectDir = findProjectDir(from);
  if (!projectDir) return [];
  const project = readPackageJson(projectDir) ?? {};
  const dirs = [
    projectDir,
    ...workspaceDirs(projectDir, project),
    ...Object.keys({ ...project.dependencies, ...project.devDependencies }).flatMap((n) => dependencyDir(projectDir, n) ?? []),
  ];
  const out: Array<{ dir: string; module: string }> = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const pkg = readPackageJson(dir);
    const entry = pkg?.kubeloop?.cliExtension;
    if (!entry) continue;
    const module = resolve(dir, entry);
    if (seen.has(module)) continue;
    seen.add(module);
    out.push({ dir, module });
  }
  return out;
}

function isCliExtension(v: unknown): v is CliExtension {
  return typeof v === 'object' && v !== null && typeof (v as CliExtension).name === 'string';
}

/**
 * Imports the discovered extensions. One that cannot be loaded (not built yet, a broken
 * install) is reported through `warn` and skipped, so the framework's own commands still run.
 */
export async function loadExtensions(from: string = process.cwd(), warn: (message: string) => void = () => undefined): Promise<CliExtension[]> {
  const out: CliExtension[] = [];
  for (const { dir, module } of discoverExtensions(from)) {
    if (!existsSync(module)) {
      warn(`extension ${dir}: ${module} does not exist (build that package first, e.g. \`npm run build\`)`);
      continue;
    }
    try {
      const mod = (await import(pathToFileURL(module).href)) as { default?: unknown };
      if (!isCliExtension(mod.default)) throw new Error('its default export is not a CliExtension (an object with a name)');
      out.push(mod.default);
    } catch (err) {
      warn(`extension ${dir} not loaded: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The extensions with their expensive parts loaded (`CliExtension.load`), for the commands
 * that use their controllers or dev hooks. One whose `load` fails is reported through `warn`
 * and skipped, as an extension that cannot be imported is.
 */
export async function loadExtensionParts(extensions: readonly CliExtension[], warn: (message: string) => void = () => undefined): Promise<CliExtension[]> {
  const out: CliExtension[] = [];
  for (const e of extensions) {
    if (!e.load) {
      out.push(e);
      continue;
    }
    try {
      const parts = await e.load();
      // over the entry (its prototype), so methods of a class instance keep working
      const full = Object.create(e) as { -readonly [K in keyof CliExtension]: CliExtension[K] };
      if (parts.plugins) full.plugins = parts.plugins;
      if (parts.dev) full.dev = parts.dev;
      out.push(full);
    } catch (err) {
      warn(`extension ${e.name} not loaded: ${(err as Error).message}`);
    }
  }
  return out;
}
