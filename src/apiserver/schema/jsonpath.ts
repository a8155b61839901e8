/**
 * The JSONPath subset used by CRD `additionalPrinterColumns` (and kubectl-style templates):
 *   .spec.a.b            field access (`\.` escapes a dot inside a name: .metadata.labels.app\.kubernetes\.io/name)
 *   ['a.b'] / ["a"]      bracketed field names
 *   [0] [-1] [*]         list index (negative from the end) and wildcard
 *   [?(@.type=="Ready")] filter on a sub-path compared with == or != to a string, number,
 *                        boolean or null literal; [?(@.x)] keeps items where x exists
 * An optional leading `$` and surrounding `{}` are accepted. Not covered: recursive
 * descent (`..`), slices (`[1:3]`), unions (`[a,b]`), functions and ranges.
 */

export type JSONPathStep =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: JSONPathStep[]; op?: '==' | '!='; value?: unknown };

function fail(path: string, why: string): never {
  throw new Error(`invalid JSONPath ${JSON.stringify(path)}: ${why}`);
}

function parseLiteral(src: string, path: string): unknown {
  const t = src.trim();
  if (/^'.*'$/.test(t)) return t.slice(1, -1);
  if (/^".*"$/.test(t)) return JSON.parse(t);
  if (t === 'true' || t === 'false' || t === 'null') return JSON.parse(t);
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return fail(path, `unsupported literal ${t}`);
}

/** Parses an expression of the subset above; throws on anything else. */
export function parseJSONPath(path: string): JSONPathStep[] {
  let s = path.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  if (s.startsWith('@')) s = s.slice(1);
  const steps: JSONPathStep[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      if (s[i + 1] === '.') fail(path, 'recursive descent is not supported');
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) {
          name += s[i + 1];
          i += 2;
        } else name += s[i++];
      }
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (name) steps.push({ kind: 'field', name });
      else if (i < s.length) fail(path, `empty field name at ${i}`);
    } else if (c === '[') {
      const close = findClose(s, i, path);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: String(parseLiteral(inner, path)) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const expr = inner.slice(2, -1).trim();
        const m = /^@((?:\.[^=!\s]+|\[[^\]]*\])*)\s*(?:(==|!=)\s*(.+))?$/.exec(expr);
        if (!m) fail(path, `unsupported filter ${expr}`);
        steps.push({ kind: 'filter', path: parseJSONPath(m[1] || ''), op: m[2] as '==' | '!=' | undefined, value: m[2] ? parseLiteral(m[3], path) : undefined });
      } else fail(path, `unsupported subscript [${inner}]`);
    } else if (/\s/.test(c)) i++;
    else if (steps.length === 0 && /[A-Za-z_]/.test(c)) {
      // A bare leading name (`spec.replicas`) is read as `.spec.replicas`.
      s = s.slice(0, i) + '.' + s.slice(i);
    } else fail(path, `unexpected ${JSON.stringify(c)} at ${i}`);
  }
  return steps;
}

function findClose(s: string, open: number, path: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = open; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return j;
  }
  return fail(path, 'unbalanced [');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function run(values: unknown[], steps: JSONPathStep[]): unknown[] {
  let cur = values;
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (st.kind) {
        case 'field':
          if (isObj(v) && Object.hasOwn(v, st.name)) next.push(v[st.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = st.index < 0 ? v.length + st.index : st.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...v);
          else if (isObj(v)) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v) {
              const got = run([item], st.path);
              if (!st.op) {
                if (got.length > 0) next.push(item);
              } else {
                const eq = got.some((g) => g === st.value || (typeof g === 'number' && typeof st.value === 'string' && String(g) === st.value));
                if ((st.op === '==' && eq) || (st.op === '!=' && !eq)) next.push(item);
              }
            }
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/** All values `path` selects in `obj` (empty when nothing matches). Throws on unsupported syntax. */
export function evaluateJSONPath(obj: unknown, path: string): unknown[] {
  return run([obj], parseJSONPath(path));
}
