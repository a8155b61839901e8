/**
 * The RAM policy language, as Alibaba Cloud documents it ("Policy structure and syntax",
 * https://www.alibabacloud.com/help/en/ram/user-guide/policy-structure-and-syntax, and
 * "Policy elements", https://www.alibabacloud.com/help/en/doc-detail/93738.htm):
 *
 *   { "Version": "1",
 *     "Statement": [{ "Effect": "Allow" | "Deny",
 *                     "Action" | "NotAction": "*" | "<ram-code>:<ApiName>" | [...],
 *                     "Resource" | "NotResource": "*" | "acs:<ram-code>:<region>:<account>:<relative-id>" | [...],
 *                     "Condition"?: {...} }] }
 *
 * Matching: `*` in an action or a resource matches any run of characters (`vpc:*`,
 * `ecs:Describe*`, `acs:vpc:*:*:routetable/*`); action names are compared without regard to
 * case, resources as written. Evaluation over the policies that apply to a request: an
 * explicit Deny in any statement wins; otherwise an Allow grants; otherwise the request is
 * implicitly denied ("If a RAM policy includes an Allow statement and a Deny statement at the
 * same time, the Deny statement takes precedence").
 *
 * Not modelled, and refused with a clear message rather than silently ignored: `Condition`
 * blocks (the emulator has no request context such as source IP or MFA to test them against)
 * and `Principal` (only trust policies of roles, which the emulator does not model, carry one).
 */

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
}

export interface PolicyDocument {
  Version: '1';
  Statement: PolicyStatement[];
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

const STATEMENT_FIELDS = new Set(['Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'Sid']);
const ACTION_RE = /^(\*|[a-z0-9-]+:[A-Za-z0-9*]+)$/i;

/** Parses a policy document given as an object or a JSON string (RAM's `PolicyDocument` parameter is a string). */
export function parsePolicy(input: unknown): { document?: PolicyDocument; problems: string[] } {
  let doc = input;
  if (typeof doc === 'string') {
    try { doc = JSON.parse(doc); } catch { return { problems: ['the policy document is not valid JSON'] }; }
  }
  const problems = policyProblems(doc);
  return problems.length ? { problems } : { document: normalize(doc as PolicyDocument), problems };
}

/** What makes `doc` not a policy document the emulator can evaluate (empty when it is one). */
export function policyProblems(doc: unknown): string[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ['a policy document must be a JSON object with "Version" and "Statement"'];
  const d = doc as Record<string, unknown>;
  const out: string[] = [];
  const unknown = Object.keys(d).filter((k) => k !== 'Version' && k !== 'Statement');
  if (unknown.length) out.push(`unknown top-level element(s) ${unknown.join(', ')} (a policy has "Version" and "Statement")`);
  if (d.Version !== '1') out.push(`"Version" must be "1" (the only version of the RAM policy language), got ${JSON.stringify(d.Version)}`);
  const statements = Array.isArray(d.Statement) ? d.Statement : d.Statement && typeof d.Statement === 'object' ? [d.Statement] : undefined;
  if (!statements) return [...out, '"Statement" must be a list of statements'];
  if (statements.length === 0) out.push('"Statement" must hold at least one statement');
  statements.forEach((s, i) => out.push(...statementProblems(s, `Statement[${i}]`)));
  return out;
}

function statementProblems(s: unknown, at: string): string[] {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return [`${at} must be an object`];
  const st = s as Record<string, unknown>;
  const out: string[] = [];
  const unknown = Object.keys(st).filter((k) => !STATEMENT_FIELDS.has(k));
  if (unknown.length) out.push(`${at} has unknown element(s) ${unknown.join(', ')} (known: Effect, Action, NotAction, Resource, NotResource, Condition)`);
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') out.push(`${at}.Effect must be "Allow" or "Deny", got ${JSON.stringify(st.Effect)}`);
  if ((st.Action === undefined) === (st.NotAction === undefined)) out.push(`${at} needs exactly one of Action or NotAction`);
  if ((st.Resource === undefined) === (st.NotResource === undefined)) out.push(`${at} needs exactly one of Resource or NotResource`);
  for (const k of ['Action', 'NotAction'] as const) {
    if (st[k] === undefined) continue;
    const v = stringList(st[k]);
    if (!v) { out.push(`${at}.${k} must be a string or a non-empty list of strings`); continue; }
    const bad = v.filter((a) => !ACTION_RE.test(a));
    if (bad.length) out.push(`${at}.${k} has malformed action(s) ${bad.map((b) => JSON.stringify(b)).join(', ')} (expected "<service>:<Action>", e.g. "vpc:CreateRouteEntry", "ecs:Describe*", "log:*", or "*")`);
  }
  for (const k of ['Resource', 'NotResource'] as const) {
    if (st[k] === undefined) continue;
    const v = stringList(st[k]);
    if (!v) { out.push(`${at}.${k} must be a string or a non-empty list of strings`); continue; }
    const bad = v.filter((r) => r !== '*' && !/^acs:[^:]*:[^:]*:[^:]*:.+$/.test(r));
    if (bad.length) out.push(`${at}.${k} has malformed resource(s) ${bad.map((b) => JSON.stringify(b)).join(', ')} (expected "*" or "acs:<service>:<region>:<account>:<relative-id>", e.g. "acs:vpc:*:*:routetable/vtb-*")`);
  }
  if (st.Condition !== undefined) out.push(`${at}.Condition is not modelled by the emulator (it has no request context to test conditions against); remove it, or narrow Action/Resource instead`);
  if (st.Principal !== undefined) out.push(`${at}.Principal belongs to trust policies of roles, which the emulator does not model; identity policies have none`);
  return out;
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return v ? [v] : undefined;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) return v as string[];
  return undefined;
}

/** A checked document with a single statement object turned into a list; other fields kept as written. */
function normalize(doc: PolicyDocument): PolicyDocument {
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as unknown as PolicyStatement];
  return { Version: '1', Statement: statements.map((s) => ({ ...s })) };
}

const patternCache = new Map<string, RegExp>();

/** Whether `value` matches `pattern`, where `*` matches any run of characters. */
export function matchPattern(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = patternCache.get(key);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, ignoreCase ? 'is' : 's');
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(key, re);
  }
  return re.test(value);
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Whether one statement applies to the request (its action and resource), whatever its effect. */
export function statementMatches(s: PolicyStatement, action: string, resource: string): boolean {
  const actionHit = s.Action !== undefined
    ? list(s.Action).some((a) => matchPattern(a, action, true))
    : !list(s.NotAction).some((a) => matchPattern(a, action, true));
  if (!actionHit) return false;
  return s.Resource !== undefined
    ? list(s.Resource).some((r) => matchPattern(r, resource))
    : !list(s.NotResource).some((r) => matchPattern(r, resource));
}

/**
 * The decision of a set of policies on `action` (`<ram-code>:<Api>`) over `resource` (an ARN):
 * any matching Deny → ExplicitDeny, else any matching Allow → Allow, else ImplicitDeny.
 */
export function evaluate(policies: readonly PolicyDocument[], action: string, resource: string): Decision {
  let allowed = false;
  for (const p of policies) {
    // documents written into the state by hand may hold a single statement object
    for (const s of Array.isArray(p.Statement) ? p.Statement : [p.Statement as PolicyStatement]) {
      if (!statementMatches(s, action, resource)) continue;
      if (s.Effect === 'Deny') return 'ExplicitDeny';
      allowed = true;
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
