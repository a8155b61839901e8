/**
 * The string checks of k8s.io/apimachinery/pkg/util/validation/validation.go (v1.32) with
 * their messages: IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label, IsQualifiedName,
 * IsValidPortName, IsValidPortNum, IsRelaxedEnvVarName (the RelaxedEnvironmentVariableValidation
 * gate is on by default in 1.32), IsConfigMapKey, IsValidPercent; and ValidateLabels of
 * apimachinery's meta/v1/validation.
 */
import { type Errs, invalid } from './errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PORT_NAME_CHARS = /^[-a-z0-9]+$/;
const PORT_NAME_LETTER = /[a-z]/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const PERCENT = /^[0-9]+%$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const regexError = (msg: string, fmt: string, ...examples: string[]) =>
  `${msg} (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${fmt}')`;
const maxLen = (n: number) => `must be no more than ${n} characters`;

const DNS1123_LABEL_MSG = regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", '[a-z0-9]([-a-z0-9]*[a-z0-9])?', 'my-name', '123-abc');
const DNS1123_SUBDOMAIN_MSG = regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', 'example.com');
const DNS1035_LABEL_MSG = regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", '[a-z]([-a-z0-9]*[a-z0-9])?', 'my-name', 'abc-123');
const QUALIFIED_NAME_MSG = regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', 'MyName', 'my.name', '123-abc');
const CONFIG_MAP_KEY_MSG = regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", '[-._a-zA-Z0-9]+', 'key.name', 'KEY_NAME', 'key-name');
const LABEL_VALUE_MSG = regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?', 'MyValue', 'my_value', '12345');
const PERCENT_MSG = regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%');

export function dns1123Label(v: string): string[] {
  if (v.length <= 63 && DNS1123_LABEL.test(v)) return NONE;
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!DNS1123_LABEL.test(v)) errs.push(DNS1123_SUBDOMAIN.test(v) ? 'must not contain dots' : DNS1123_LABEL_MSG);
  return errs;
}

export function dns1123Subdomain(v: string): string[] {
  if (v.length <= 253 && DNS1123_SUBDOMAIN.test(v)) return NONE;
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!DNS1123_SUBDOMAIN.test(v)) errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
}

export function dns1035Label(v: string): string[] {
  if (v.length <= 63 && DNS1035_LABEL.test(v)) return NONE;
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!DNS1035_LABEL.test(v)) errs.push(DNS1035_LABEL_MSG);
  return errs;
}

export function qualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name = parts[0];
  const errs: string[] = [];
  if (parts.length === 2) {
    name = parts[1];
    if (!parts[0]) errs.push('prefix part must be non-empty');
    else for (const m of dns1123Subdomain(parts[0])) errs.push(`prefix part ${m}`);
  } else if (parts.length > 2) {
    return [`a qualified name ${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (!name) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (!QUALIFIED_NAME_PART.test(name)) errs.push(`name part ${QUALIFIED_NAME_MSG}`);
  return errs;
}

export function portName(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push(maxLen(15));
  if (!PORT_NAME_CHARS.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!PORT_NAME_LETTER.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (v.length > 0 && (v[0] === '-' || v[v.length - 1] === '-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export const PORT_RANGE_MSG = 'must be between 1 and 65535, inclusive';
export const validPortNum = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;

/** IsRelaxedEnvVarName: printable ASCII other than '='. */
export function relaxedEnvVarName(v: string): string[] {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c > 126 || c === 61) return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
  }
  return NONE;
}

export function configMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!CONFIG_MAP_KEY.test(v)) errs.push(CONFIG_MAP_KEY_MSG);
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export const percent = (v: string): string[] => (PERCENT.test(v) ? NONE : [PERCENT_MSG]);

/** field.Invalid for each message of a check. */
export function each(errs: Errs, field: string, value: unknown, msgs: string[]): void {
  for (const m of msgs) invalid(errs, field, value, m);
}

/** IsValidLabelValue. */
export function labelValue(v: string): string[] {
  if (v.length <= 63 && LABEL_VALUE.test(v)) return NONE;
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!LABEL_VALUE.test(v)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

/** ValidateLabels (meta/v1/validation): keys qualified names, values label values, each error at `field`. */
export function validateLabels(errs: Errs, field: string, labels: unknown): void {
  if (!labels || typeof labels !== 'object') return;
  for (const k in labels as Record<string, unknown>) {
    if (!QUALIFIED_NAME_PART.test(k) || k.length > 63) each(errs, field, k, qualifiedName(k));
    const v = (labels as Record<string, unknown>)[k];
    if (typeof v === 'string') each(errs, field, v, labelValue(v));
  }
}

const NONE: string[] = [];
