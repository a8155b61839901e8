/**
 * MutatingWebhookConfiguration and ValidatingWebhookConfiguration as stored objects: the v1
 * defaults (failurePolicy Fail, matchPolicy Equivalent, empty selectors, timeoutSeconds 10,
 * reinvocationPolicy Never, rule scope `*`, service port 443) and upstream's validation
 * (pkg/apis/admissionregistration/validation) with its field paths and messages: fully
 * qualified unique webhook names, rules, failure/match/reinvocation policies, sideEffects
 * None or NoneOnDryRun (an update may keep the Some/Unknown its old webhooks had, as
 * upstream's ratcheting does), timeout 1..30, label selectors, admissionReviewVersions with
 * v1 or v1beta1, clientConfig url xor service.
 * `matchConditions` (CEL) are refused: this server cannot evaluate them, and calling the
 * webhook regardless would change who it admits.
 */
import { type FieldError, type LabelSelectorSpec, validateLabelKey, validateLabelValue } from '../../api/index.js';
import type { Defaulter } from '../defaults/index.js';
import type { Strategy } from '../resources/index.js';
import { renderValue } from '../schema/values.js';
import { validateClientConfig } from '../webhooks/index.js';
import type { RuleWithOperations, Webhook, WebhookConfiguration } from './types.js';

const inv = (field: string, value: unknown, msg: string): FieldError => ({ type: 'FieldValueInvalid', field, message: `${renderValue(value)}: ${msg}` });
const req = (field: string, msg = ''): FieldError => ({ type: 'FieldValueRequired', field, message: msg });
const notSupported = (field: string, value: unknown, supported: string[]): FieldError => ({
  type: 'FieldValueNotSupported', field, message: `${renderValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});
/** Go prints string slices as `[]string{"a", "b"}` in Invalid values. */
const goStrings = (xs: unknown[]) => `[]string{${xs.map((x) => JSON.stringify(String(x))).join(', ')}}`;
const invList = (field: string, xs: unknown[], msg: string): FieldError => ({ type: 'FieldValueInvalid', field, message: `${goStrings(xs)}: ${msg}` });

/** A list field as a list (a value of another JSON type validates as empty rather than throwing). */
const arr = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);

const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const ALL_SIDE_EFFECTS = ['None', 'NoneOnDryRun', 'Some', 'Unknown'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Fills the v1 defaults in place. */
function defaultWebhooks(o: WebhookConfiguration, mutating: boolean): void {
  for (const h of Array.isArray(o.webhooks) ? o.webhooks : []) {
    if (!h || typeof h !== 'object') continue;
    h.failurePolicy ??= 'Fail';
    h.matchPolicy ??= 'Equivalent';
    h.namespaceSelector ??= {};
    h.objectSelector ??= {};
    h.timeoutSeconds ??= 10;
    if (mutating) h.reinvocationPolicy ??= 'Never';
    for (const r of Array.isArray(h.rules) ? h.rules : []) if (r && typeof r === 'object') r.scope ??= '*';
    if (h.clientConfig?.service && typeof h.clientConfig.service === 'object') h.clientConfig.service.port ??= 443;
  }
}

function validateResources(field: string, resources: string[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(resources);
  if (!list.length) errs.push(req(field));
  const wildSub = new Set<string>();
  const wildRes = new Set<string>();
  let double = false;
  let single = false;
  let plain = false;
  list.forEach((rs, i) => {
    if (!rs) return void errs.push(req(`${field}[${i}]`));
    if (rs === '*/*') double = true;
    if (rs === '*') single = true;
    const slash = rs.indexOf('/');
    if (slash < 0) {
      plain = rs !== '*';
      return;
    }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (wildSub.has(res)) errs.push(inv(`${field}[${i}]`, rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (wildRes.has(sub)) errs.push(inv(`${field}[${i}]`, rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === '*') wildSub.add(res);
    if (res === '*') wildRes.add(sub);
  });
  if (list.length > 1 && double) errs.push(invList(field, list, "if '*/*' is present, must not specify other resources"));
  if (single && plain) errs.push(invList(field, list, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

function validateRule(field: string, r: RuleWithOperations): FieldError[] {
  const errs: FieldError[] = [];
  const ops = arr(r.operations);
  if (!ops.length) errs.push(req(`${field}.operations`));
  if (ops.length > 1 && ops.includes('*')) errs.push(invList(`${field}.operations`, ops, "if '*' is present, must not specify other operations"));
  ops.forEach((op, i) => {
    if (!['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'].includes(op)) errs.push(notSupported(`${field}.operations[${i}]`, op, ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE']));
  });
  const groups = arr(r.apiGroups);
  if (!groups.length) errs.push(req(`${field}.apiGroups`));
  if (groups.length > 1 && groups.includes('*')) errs.push(invList(`${field}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  const versions = arr(r.apiVersions);
  if (!versions.length) errs.push(req(`${field}.apiVersions`));
  if (versions.length > 1 && versions.includes('*')) errs.push(invList(`${field}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (!v) errs.push(req(`${field}.apiVersions[${i}]`));
  });
  errs.push(...validateResources(`${field}.resources`, r.resources));
  if (r.scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(r.scope)) errs.push(notSupported(`${field}.scope`, r.scope, ['*', 'Cluster', 'Namespaced']));
  return errs;
}

/** metav1validation.ValidateLabelSelector. */
function validateSelector(field: string, sel: LabelSelectorSpec): FieldError[] {
  const errs: FieldError[] = [];
  arr(sel.matchExpressions).forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    const values = arr(e?.values);
    if (e?.operator === 'In' || e?.operator === 'NotIn') {
      if (!values.length) errs.push(req(`${f}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    } else if (e?.operator === 'Exists' || e?.operator === 'DoesNotExist') {
      if (values.length) errs.push({ type: 'FieldValueForbidden', field: `${f}.values`, message: 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'' });
    } else errs.push(inv(`${f}.operator`, e?.operator, 'not a valid selector operator'));
    const bad = validateLabelKey(e?.key ?? '');
    if (bad) errs.push(inv(`${f}.key`, e?.key ?? '', bad));
    for (const v of values) {
      const badValue = validateLabelValue(v);
      if (badValue) errs.push(inv(`${f}.values`, v, badValue));
    }
  });
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const bad = validateLabelKey(k) ?? validateLabelValue(String(v));
    if (bad) errs.push(inv(`${field}.matchLabels`, k, bad));
  }
  return errs;
}

function validateReviewVersions(field: string, versions: string[] | undefined, requireRecognized: boolean): FieldError[] {
  const list = arr(versions);
  if (!list.length) return [req(field, `must specify one of ${REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list.forEach((v, i) => {
    if (seen.has(v)) return void errs.push(inv(`${field}[${i}]`, v, 'duplicate version'));
    seen.add(v);
    if (v.length > 63 || !DNS1035.test(v)) {
      errs.push(inv(`${field}[${i}]`, v, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"));
    }
  });
  if (requireRecognized && !list.some((v) => REVIEW_VERSIONS.includes(v))) errs.push(invList(field, list, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

/** IsFullyQualifiedName: a DNS subdomain with at least three segments. */
function validateHookName(field: string, name: string | undefined): FieldError[] {
  if (!name) return [req(field)];
  if (typeof name !== 'string' || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [inv(field, name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")];
  }
  if (name.split('.').length < 3) return [inv(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

interface Options {
  requireNoSideEffects: boolean;
  requireRecognizedVersion: boolean;
  requireUniqueNames: boolean;
}

function validateWebhook(field: string, h: Webhook, mutating: boolean, opts: Options): FieldError[] {
  const errs: FieldError[] = [...validateHookName(`${field}.name`, h.name)];
  arr(h.rules).forEach((r, i) => errs.push(...validateRule(`${field}.rules[${i}]`, r ?? {})));
  if (h.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(h.failurePolicy)) errs.push(notSupported(`${field}.failurePolicy`, h.failurePolicy, ['Fail', 'Ignore']));
  if (h.matchPolicy !== undefined && !['Equivalent', 'Exact'].includes(h.matchPolicy)) errs.push(notSupported(`${field}.matchPolicy`, h.matchPolicy, ['Equivalent', 'Exact']));
  const allowed = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : ALL_SIDE_EFFECTS;
  if (h.sideEffects === undefined || h.sideEffects === null) errs.push(req(`${field}.sideEffects`, `must specify one of ${allowed.join(', ')}`));
  else if (!allowed.includes(h.sideEffects)) errs.push(notSupported(`${field}.sideEffects`, h.sideEffects, allowed));
  if (h.timeoutSeconds !== undefined && (h.timeoutSeconds > 30 || h.timeoutSeconds < 1)) errs.push(inv(`${field}.timeoutSeconds`, h.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  if (h.namespaceSelector) errs.push(...validateSelector(`${field}.namespaceSelector`, h.namespaceSelector));
  if (h.objectSelector) errs.push(...validateSelector(`${field}.objectSelector`, h.objectSelector));
  if (mutating && h.reinvocationPolicy !== undefined && !['IfNeeded', 'Never'].includes(h.reinvocationPolicy)) {
    errs.push(notSupported(`${field}.reinvocationPolicy`, h.reinvocationPolicy, ['IfNeeded', 'Never']));
  }
  errs.push(...validateClientConfig(`${field}.clientConfig`, h.clientConfig));
  if (arr(h.matchConditions).length) errs.push({ type: 'FieldValueForbidden', field: `${field}.matchConditions`, message: 'matchConditions (CEL) are not supported by the built-in API server' });
  return errs;
}

function validateConfiguration(o: WebhookConfiguration, mutating: boolean, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (Array.isArray(o.webhooks) ? o.webhooks : []).forEach((h, i) => {
    const field = `webhooks[${i}]`;
    if (!h || typeof h !== 'object') return void errs.push(inv(field, h, 'must be an object'));
    errs.push(...validateWebhook(field, h, mutating, opts));
    errs.push(...validateReviewVersions(`${field}.admissionReviewVersions`, h.admissionReviewVersions, opts.requireRecognizedVersion));
    if (opts.requireUniqueNames && h.name) {
      if (names.has(h.name)) errs.push({ type: 'FieldValueDuplicate', field: `${field}.name`, message: renderValue(h.name) });
      names.add(h.name);
    }
  });
  return errs;
}

/** The relaxations upstream grants an update from what the old webhooks already had. */
function updateOptions(old: WebhookConfiguration): Options {
  const hooks = arr(old.webhooks);
  return {
    requireNoSideEffects: hooks.every((h) => !!h.sideEffects && NO_SIDE_EFFECTS.includes(h.sideEffects)),
    requireRecognizedVersion: hooks.every((h) => !(h.admissionReviewVersions?.length) || h.admissionReviewVersions.some((v) => REVIEW_VERSIONS.includes(v))),
    requireUniqueNames: new Set(hooks.map((h) => h.name)).size === hooks.length,
  };
}

const CREATE_OPTIONS: Options = { requireNoSideEffects: true, requireRecognizedVersion: true, requireUniqueNames: true };

/**
 * The defaults of MutatingWebhookConfiguration (`mutating`) or ValidatingWebhookConfiguration:
 * upstream's SetDefaults_* (pkg/apis/admissionregistration/v1/defaults.go), run on decode like
 * every built-in type's defaults, before admission.
 */
export function configurationDefaults(mutating: boolean): Defaulter {
  return (o) => defaultWebhooks(o as WebhookConfiguration, mutating);
}

/** The strategy of MutatingWebhookConfiguration (`mutating`) or ValidatingWebhookConfiguration. */
export function configurationStrategy(mutating: boolean): Strategy {
  return {
    validate: (o, old) => validateConfiguration(o as WebhookConfiguration, mutating, old ? updateOptions(old as WebhookConfiguration) : CREATE_OPTIONS),
  };
}
