/**
 * Where a TypeScript source of the user's project compiles to, so `kubeloop generate --module
 * src/x.ts` works in any project: the nearest tsconfig.json above the file (following
 * `extends` and project references' own files) gives `rootDir` and `outDir`, and
 * `<rootDir>/a/b.ts` maps to `<outDir>/a/b.js`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** JSON with comments and trailing commas (tsconfig's dialect) -> value. */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

interface TsConfig { extends?: string; compilerOptions?: { rootDir?: string; outDir?: string } }

/** rootDir/outDir of a tsconfig (absolute), following relative `extends`; rootDir defaults to the tsconfig's folder. */
export function compilerDirs(tsconfigPath: string): { rootDir: string; outDir?: string } {
  let rootDir: string | undefined;
  let outDir: string | undefined;
  for (let file: string | undefined = tsconfigPath, depth = 0; file && depth < 10; depth++) {
    const cfg = parseJsonc(readFileSync(file, 'utf8')) as TsConfig;
    const dir = dirname(file);
    rootDir ??= cfg.compilerOptions?.rootDir !== undefined ? resolve(dir, cfg.compilerOptions.rootDir) : undefined;
    outDir ??= cfg.compilerOptions?.outDir !== undefined ? resolve(dir, cfg.compilerOptions.outDir) : undefined;
    const ext = cfg.extends;
    file = ext && ext.startsWith('.') ? resolve(dir, ext.endsWith('.json') ? ext : `${ext}.json`) : undefined;
  }
  return { rootDir: rootDir ?? dirname(tsconfigPath), outDir };
}

/** The compiled .js of a TypeScript source, or an Error that says what to pass instead. */
export function compiledPathOf(tsFile: string): string {
  const abs = resolve(tsFile);
  for (let dir = dirname(abs); ; dir = dirname(dir)) {
    const cfg = join(dir, 'tsconfig.json');
    if (existsSync(cfg)) {
      const { rootDir, outDir } = compilerDirs(cfg);
      const rel = relative(rootDir, abs);
      if (!outDir || rel.startsWith('..')) {
        throw new Error(`${tsFile}: ${cfg} has ${outDir ? `no rootDir containing it` : 'no outDir'}; pass the compiled .js instead`);
      }
      return join(outDir, rel.replace(/\.(m|c)?ts$/, (_m, k: string | undefined) => `.${k ?? ''}js`));
    }
    if (dirname(dir) === dir) throw new Error(`${tsFile}: no tsconfig.json above it says where it compiles to; pass the compiled .js instead`);
  }
}
