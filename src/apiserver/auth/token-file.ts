/**
 * Static token files in kube-apiserver's `--token-auth-file` format: one CSV line per token,
 * `token,user,uid[,"group1,group2"]`; blank lines and `#` comments are skipped.
 */
import { readFileSync } from 'node:fs';
import type { StaticToken } from './authenticator.js';

function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new Error('unterminated quote');
  out.push(cur);
  return out.map((f) => f.trim());
}

/** Parses token file text; errors name the line. */
export function parseTokenFile(text: string, source = 'token file'): StaticToken[] {
  const out: StaticToken[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let f: string[];
    try {
      f = csvFields(line);
    } catch (e) {
      throw new Error(`${source}:${i + 1}: ${(e as Error).message}`);
    }
    if (f.length < 3 || !f[0] || !f[1]) throw new Error(`${source}:${i + 1}: expected token,user,uid[,"groups"]`);
    if (seen.has(f[0])) throw new Error(`${source}:${i + 1}: duplicate token`);
    seen.add(f[0]);
    const t: StaticToken = { token: f[0], user: f[1], groups: f[3] ? f[3].split(',').map((g) => g.trim()).filter(Boolean) : [] };
    if (f[2]) t.uid = f[2];
    out.push(t);
  });
  return out;
}

export function readTokenFile(path: string): StaticToken[] {
  return parseTokenFile(readFileSync(path, 'utf8'), path);
}
