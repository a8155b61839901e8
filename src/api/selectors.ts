/**
 * Label and field selectors: parsing of the string forms used in URLs
 * (`?labelSelector=app in (a,b),!legacy`) and of `metav1.LabelSelector` objects,
 * with matchers. Grammar and errors follow k8s.io/apimachinery/pkg/labels and /fields.
 */
import { newBadRequest } from './status.js';

export type LabelOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'GreaterThan' | 'LessThan';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parsed label selector: all requirements must hold. An empty one matches everything. */
export class LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}

  static everything(): LabelSelector {
    return new LabelSelector([]);
  }

  /** A selector that matches nothing (a `null` selector in a PodDisruptionBudget, for example). */
  static nothing(): LabelSelector {
    return new LabelSelector([{ key: '', operator: 'In', values: [] }]);
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    for (const r of this.requirements) {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      const v = l[r.key];
      switch (r.operator) {
        case 'Equals':
        case 'In':
          if (!has || !r.values.includes(v)) return false;
          break;
        case 'NotEquals':
        case 'NotIn':
          if (has && r.values.includes(v)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        case 'GreaterThan':
        case 'LessThan': {
          if (!has) return false;
          const n = Number(v);
          const bound = Number(r.values[0]);
          if (!/^-?\d+$/.test(v) || Number.isNaN(n)) return false;
          if (r.operator === 'GreaterThan' ? !(n > bound) : !(n < bound)) return false;
          break;
        }
      }
    }
    return true;
  }

  /** The canonical string form (as Go's `Selector.String()`). */
  toString(): string {
    return this.requirements
      .map((r) => {
        switch (r.operator) {
          case 'Equals':
            return `${r.key}=${r.values[0]}`;
          case 'NotEquals':
            return `${r.key}!=${r.values[0]}`;
          case 'In':
            return `${r.key} in (${[...r.values].sort().join(',')})`;
          case 'NotIn':
            return `${r.key} notin (${[...r.values].sort().join(',')})`;
          case 'Exists':
            return r.key;
          case 'DoesNotExist':
            return `!${r.key}`;
          case 'GreaterThan':
            return `${r.key}>${r.values[0]}`;
          case 'LessThan':
            return `${r.key}<${r.values[0]}`;
        }
      })
      .join(',');
  }
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Validates a label key (`[prefix/]name`); returns an error message or undefined. */
export function validateLabelKey(key: string): string | undefined {
  // Every write checks its label and annotation keys, and a cluster uses few distinct ones:
  // the verdicts are remembered (bounded: the memory restarts when full).
  const known = labelKeyVerdicts.get(key);
  if (known !== undefined) return known || undefined;
  const verdict = labelKeyProblem(key);
  if (labelKeyVerdicts.size >= MAX_LABEL_KEY_VERDICTS) labelKeyVerdicts.clear();
  labelKeyVerdicts.set(key, verdict ?? '');
  return verdict;
}

/** Label key -> its problem ('' for none). */
const labelKeyVerdicts = new Map<string, string>();
const MAX_LABEL_KEY_VERDICTS = 4096;

function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `invalid label key "${key}": a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'`;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return `invalid label key "${key}": prefix part must be a lowercase RFC 1123 subdomain`;
    }
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63 characters)`;
  }
  return undefined;
}

/** Validates a label value; returns an error message or undefined. */
export function validateLabelValue(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (max 63 characters)`;
  }
  return undefined;
}

type Token =
  | { t: 'id'; v: string }
  | { t: 'op'; v: '=' | '==' | '!=' | '!' | '>' | '<' }
  | { t: '(' }
  | { t: ')' }
  | { t: ',' }
  | { t: 'end' };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c } as Token);
      i++;
    } else if (c === '=' || c === '!' || c === '>' || c === '<') {
      if (s[i + 1] === '=' && (c === '=' || c === '!')) {
        out.push({ t: 'op', v: (c + '=') as '==' | '!=' });
        i += 2;
      } else {
        out.push({ t: 'op', v: c });
        i++;
      }
    } else {
      let j = i;
      while (j < s.length && !' \t(),=!<>'.includes(s[j])) j++;
      out.push({ t: 'id', v: s.slice(i, j) });
      i = j;
    }
  }
  out.push({ t: 'end' });
  return out;
}

/**
 * Parses the string form of a label selector. Throws a 400 `StatusError` with a message
 * naming the problem, as the API server does for a bad `labelSelector` parameter.
 */
export function parseLabelSelector(input: string | undefined | null): LabelSelector {
  const text = (input ?? '').trim();
  if (text === '') return LabelSelector.everything();
  const toks = tokenize(text);
  let p = 0;
  const fail = (why: string): never => {
    throw newBadRequest(`unable to parse requirement: ${why} (in label selector "${text}")`);
  };
  const reqs: LabelRequirement[] = [];
  const key = (k: string) => {
    const err = validateLabelKey(k);
    if (err) fail(err);
    return k;
  };
  const value = (v: string) => {
    const err = validateLabelValue(v);
    if (err) fail(err);
    return v;
  };
  for (;;) {
    const tok = toks[p++];
    if (tok.t === 'op' && tok.v === '!') {
      const k = toks[p++];
      if (k.t !== 'id') fail('expected a key after "!"');
      reqs.push({ key: key((k as { v: string }).v), operator: 'DoesNotExist', values: [] });
    } else if (tok.t === 'id') {
      const k = key(tok.v);
      const next = toks[p];
      if (next.t === ',' || next.t === 'end') {
        reqs.push({ key: k, operator: 'Exists', values: [] });
      } else if (next.t === 'op' && next.v !== '!') {
        p++;
        const v = toks[p];
        let val = '';
        if (v.t === 'id') {
          val = v.v;
          p++;
        } else if (next.v === '>' || next.v === '<') {
          fail(`expected an integer after "${next.v}"`);
        }
        if (next.v === '>' || next.v === '<') {
          if (!/^-?\d+$/.test(val)) fail(`for 'Gt', 'Lt' operators, the value must be an integer, got "${val}"`);
          reqs.push({ key: k, operator: next.v === '>' ? 'GreaterThan' : 'LessThan', values: [val] });
        } else {
          reqs.push({ key: k, operator: next.v === '!=' ? 'NotEquals' : 'Equals', values: [value(val)] });
        }
      } else if (next.t === 'id' && (next.v === 'in' || next.v === 'notin')) {
        p++;
        if (toks[p++].t !== '(') fail(`found '${next.v}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = toks[p];
          if (v.t === ')') {
            p++;
            break;
          }
          if (v.t === 'id') {
            values.push(value(v.v));
            p++;
          } else if (v.t === ',') {
            if (toks[p - 1].t === '(' || toks[p - 1].t === ',') values.push('');
            p++;
            if (toks[p].t === ')') values.push('');
          } else {
            fail(`found unexpected token in value list, expected ',' or ')'`);
          }
        }
        if (values.length === 0) fail(`for '${next.v}', 'notin' operators, values set can't be empty`);
        reqs.push({ key: k, operator: next.v === 'in' ? 'In' : 'NotIn', values });
      } else {
        fail(`found '${next.t === 'id' || next.t === 'op' ? next.v : next.t}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      fail(`found '${tok.t === 'op' ? tok.v : tok.t}', expected: !, identifier, or 'end of string'`);
    }
    const sep = toks[p++];
    if (sep.t === 'end') break;
    if (sep.t !== ',') fail(`found '${sep.t === 'id' || sep.t === 'op' ? sep.v : sep.t}', expected: ',' or 'end of string'`);
  }
  return new LabelSelector(reqs);
}

/** `metav1.LabelSelector` as found in specs (Deployments, PDBs, ...). */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/**
 * Converts a `metav1.LabelSelector` object into a selector. `undefined`/`null` matches
 * nothing, `{}` matches everything — the rule upstream applies (LabelSelectorAsSelector).
 */
export function labelSelectorFromSpec(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  if (spec == null) return LabelSelector.nothing();
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(spec.matchLabels ?? {})) reqs.push({ key: k, operator: 'Equals', values: [v] });
  for (const e of spec.matchExpressions ?? []) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
      throw newBadRequest(`"${e.operator}" is not a valid label selector operator`);
    }
    reqs.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  }
  return new LabelSelector(reqs);
}

/** Turns a `metav1.LabelSelector` object into the string form for a `labelSelector` query. */
export function labelSelectorSpecToString(spec: LabelSelectorSpec): string {
  return labelSelectorFromSpec(spec).toString();
}

export interface FieldRequirement {
  field: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

/** A parsed field selector. Which fields are supported is up to the resource. */
export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  static everything(): FieldSelector {
    return new FieldSelector([]);
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  /** Fields referenced by the selector (so a server can reject unsupported ones). */
  fields(): string[] {
    return this.requirements.map((r) => r.field);
  }

  /** The value required for `field` by an `=` term, if any (for index lookups). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === 'Equals')?.value;
  }

  matches(fields: Record<string, string | undefined>): boolean {
    return this.requirements.every((r) => {
      const v = fields[r.field] ?? '';
      return r.operator === 'Equals' ? v === r.value : v !== r.value;
    });
  }

  toString(): string {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
    return this.requirements.map((r) => `${r.field}${r.operator === 'Equals' ? '=' : '!='}${esc(r.value)}`).join(',');
  }
}

/** Parses `a=b,c!=d` (values may escape `\,` `\=` `\\`). Throws a 400 on bad syntax. */
export function parseFieldSelector(input: string | undefined | null): FieldSelector {
  const text = (input ?? '').trim();
  if (text === '') return FieldSelector.everything();
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  const reqs: FieldRequirement[] = [];
  for (const term of terms) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term.replace(/\\[=]/g, '\u0000'));
    if (!m) throw newBadRequest(`invalid field selector: invalid selector: '${text}'; can't understand '${term}'`);
    const value = m[3].replace(/\u0000/g, '=').replace(/\\(.)/g, '$1');
    reqs.push({ field: m[1].trim(), operator: m[2] === '!=' ? 'NotEquals' : 'Equals', value });
  }
  return new FieldSelector(reqs);
}
