// `npm run durability [cycles] [seed]`: the long kill -9 durability run (default 100 cycles)
// of e2e/apiserver/durability.ts. Exits 1 when an acknowledged write was lost or a write
// answered with an error was visible.
import { runDurability } from '../e2e/apiserver/durability.js';

const cycles = Number(process.argv[2] ?? 100);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
process.stdout.write(`durability: ${cycles} kill -9 cycles, seed ${seed}\n`);
const report = await runDurability({ cycles, seed, progress: (line) => process.stdout.write(line + '\n') });
for (const l of report.lost) process.stdout.write(`LOST ${l}\n`);
for (const v of report.visibleFailed) process.stdout.write(`VISIBLE FAILED ${v}\n`);
process.stdout.write(
  `durability: ${report.cycles} cycles, ${report.acked} acknowledged, ${report.failed} answered with an error, ${report.inflight} in flight at a kill; ` +
    `lost ${report.lost.length}, failed writes visible ${report.visibleFailed.length} (seed ${seed})\n`,
);
process.exit(report.lost.length || report.visibleFailed.length ? 1 : 0);
