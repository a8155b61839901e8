/**
 * Validation of a webhook `clientConfig` (exactly one of url or service; the url https with a
 * host and no user info, fragment or query; the service named, namespaced, with a valid port
 * and DNS-subdomain path segments), shared by webhook configurations and CRD conversion, with
 * the field errors of upstream's k8s.io/apiserver/pkg/util/webhook/validation.go.
 */
import type { FieldError } from '../../api/index.js';
import { validateName } from '../handlers/util.js';
import { renderValue } from '../schema/values.js';
import type { WebhookClientConfig } from './client.js';

const FORM = '; desired format: https://host[/path]';
const inv = (field: string, value: unknown, msg: string): FieldError => ({ type: 'FieldValueInvalid', field, message: `${renderValue(value)}: ${msg}` });

function validateUrl(field: string, raw: string): FieldError[] {
  const errs: FieldError[] = [];
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    // Go parses a relative reference without complaint: it has neither scheme nor host.
  }
  const scheme = u ? u.protocol.replace(/:$/, '') : '';
  if (scheme !== 'https') errs.push(inv(field, scheme, `'https' is the only allowed URL scheme${FORM}`));
  if (!u?.host) errs.push(inv(field, u?.host ?? '', `host must be provided${FORM}`));
  if (u && (u.username || u.password)) errs.push(inv(field, u.password ? `${u.username}:***` : u.username, 'user information is not permitted in the URL'));
  if (u?.hash) errs.push(inv(field, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u?.search) errs.push(inv(field, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

function validateService(field: string, s: NonNullable<WebhookClientConfig['service']>): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push({ type: 'FieldValueRequired', field: `${field}.name`, message: 'service name is required' });
  if (!s.namespace) errs.push({ type: 'FieldValueRequired', field: `${field}.namespace`, message: 'service namespace is required' });
  // Both APIs default the port to 443 before validating.
  const port = s.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) errs.push(inv(`${field}.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'));
  const path = s.path;
  if (path === undefined || path === '' || path === '/') return errs;
  if (path === '//') return [...errs, inv(`${field}.path`, path, 'segment[0] may not be empty')];
  if (!path.startsWith('/')) errs.push(inv(`${field}.path`, path, "must start with a '/'"));
  let rest = path.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  rest.split('/').forEach((step, i) => {
    if (!step) errs.push(inv(`${field}.path`, path, `segment[${i}] may not be empty`));
    // Segments follow the generic object-name rule: a DNS-1123 subdomain.
    else for (const why of validateName('', '', step)) errs.push(inv(`${field}.path`, path, `segment[${i}]: ${why}`));
  });
  return errs;
}

/** Field errors of the client config at `field`. */
export function validateClientConfig(field: string, cc: WebhookClientConfig | undefined): FieldError[] {
  const hasUrl = typeof cc?.url === 'string';
  const hasService = !!cc?.service && typeof cc.service === 'object';
  if (hasUrl === hasService) return [{ type: 'FieldValueRequired', field, message: 'exactly one of url or service is required' }];
  if (hasUrl) return validateUrl(`${field}.url`, cc!.url!);
  return validateService(`${field}.service`, cc!.service!);
}
