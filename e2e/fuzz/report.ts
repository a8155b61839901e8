/** Text report of a fuzz run and its verdict (RSS must come back within 20% of the start). */
import type { FuzzResult } from './runner.js';

const RSS_TOLERANCE = 0.2;

export function problems(r: FuzzResult): string[] {
  const out: string[] = [];
  for (const f of r.failures) {
    const body = f.req.body ? `\n    body (${f.req.body.length} bytes): ${JSON.stringify(f.req.body.subarray(0, 600).toString('latin1'))}` : '';
    out.push(`${f.req.label}: ${f.req.method} ${f.req.path.slice(0, 200)} ${JSON.stringify(f.req.headers)}: ${f.what}${body}`);
  }
  for (const c of r.crashes) out.push(`escaped exception: ${c}`);
  for (const w of r.warnings) out.push(`process warning: ${w}`);
  if (r.rssEndBytes > r.rssStartBytes * (1 + RSS_TOLERANCE)) {
    out.push(`RSS did not come back: ${mib(r.rssStartBytes)} at the start, ${mib(r.rssEndBytes)} after the load (limit +${RSS_TOLERANCE * 100}%)`);
  }
  return out;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function summary(target: string, seed: number, r: FuzzResult): string {
  const codes = Object.entries(r.histogram).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${k.padEnd(14)} ${n}`);
  return [
    `fuzz ${target}: seed ${seed}, ${r.sent} requests in ${(r.elapsedMs / 1000).toFixed(1)} s (${Math.round(r.sent / (r.elapsedMs / 1000))}/s)`,
    'status histogram:',
    ...codes,
    `RSS: ${mib(r.rssStartBytes)} at the start, ${mib(r.rssEndBytes)} after the load`,
  ].join('\n');
}
