/**
 * The `apiregistration.k8s.io/v1` APIService kind as kube-aggregator serves it: defaults
 * (`spec.service.port` 443), validation (`ValidateAPIService`: the name is
 * `<version>.<group>`, priorities in range, local APIServices carry no TLS settings) and the
 * `kubectl get apiservices` columns (NAME, SERVICE, AVAILABLE, AGE).
 */
import type { FieldError, KubeObject } from '../../api/index.js';
import type { ResourceRegistry, ResourceType } from '../resources/index.js';
import { age, col } from '../table/index.js';

export const APISERVICES = 'apiregistration.k8s.io/apiservices';

export interface ServiceReference {
  namespace?: string;
  name?: string;
  port?: number;
}

export interface ApiServiceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export type ApiService = KubeObject & {
  spec: {
    service?: ServiceReference | null;
    group?: string;
    version?: string;
    insecureSkipTLSVerify?: boolean;
    /** Base64 PEM bundle (JSON `[]byte`). */
    caBundle?: string;
    groupPriorityMinimum?: number;
    versionPriority?: number;
  };
  status?: { conditions?: ApiServiceCondition[] };
};

/** True for APIServices served by a Service (not by this server itself). */
export function isRemote(a: ApiService): a is ApiService & { spec: { service: Required<ServiceReference> } } {
  return !!a.spec?.service;
}

export function availableCondition(a: ApiService): ApiServiceCondition | undefined {
  return a.status?.conditions?.find((c) => c.type === 'Available');
}

/** `metrics.k8s.io/v1beta1` (`v1` for the legacy group). */
export function groupVersionOf(a: ApiService): string {
  return a.spec.group ? `${a.spec.group}/${a.spec.version}` : `${a.spec.version}`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function validate(a: ApiService): FieldError[] {
  const errs: FieldError[] = [];
  const spec = a.spec ?? {};
  const group = spec.group ?? '';
  const version = spec.version ?? '';
  const required = `${version}.${group}`;
  const name = a.metadata.name ?? '';
  if (name && name !== required) {
    errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', message: `${JSON.stringify(name)}: must be \`spec.version+"."+spec.group\`: ${JSON.stringify(required)}` });
  }
  if (!group && version !== 'v1') errs.push({ type: 'FieldValueRequired', field: 'spec.group', message: 'only v1 may have an empty group and it better be legacy kube' });
  if (group && (group.length > 253 || !DNS1123_SUBDOMAIN.test(group))) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.group', message: `${JSON.stringify(group)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` });
  }
  if (version.length > 63 || !DNS1035_LABEL.test(version)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.version', message: `${JSON.stringify(version)}: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')` });
  }
  const gpm = spec.groupPriorityMinimum ?? 0;
  if (!(gpm > 0 && gpm <= 20000)) errs.push({ type: 'FieldValueInvalid', field: 'spec.groupPriorityMinimum', message: `${gpm}: must be positive and less than 20000` });
  const vp = spec.versionPriority ?? 0;
  if (!(vp > 0 && vp <= 1000)) errs.push({ type: 'FieldValueInvalid', field: 'spec.versionPriority', message: `${vp}: must be positive and less than 1000` });
  for (const [i, c] of (a.status?.conditions ?? []).entries()) {
    if (!['True', 'False', 'Unknown'].includes(c.status)) {
      errs.push({ type: 'FieldValueNotSupported', field: `status.conditions[${i}].status`, message: `${JSON.stringify(c.status)}: supported values: "False", "True", "Unknown"` });
    }
  }
  const ca = spec.caBundle ?? '';
  if (!spec.service) {
    if (ca) errs.push({ type: 'FieldValueInvalid', field: 'spec.caBundle', message: `"${Buffer.from(ca, 'base64').length} bytes": local APIServices may not have a caBundle` });
    if (spec.insecureSkipTLSVerify) errs.push({ type: 'FieldValueInvalid', field: 'spec.insecureSkipTLSVerify', message: 'true: local APIServices may not have insecureSkipTLSVerify' });
    return errs;
  }
  if (!spec.service.namespace) errs.push({ type: 'FieldValueRequired', field: 'spec.service.namespace', message: '' });
  if (!spec.service.name) errs.push({ type: 'FieldValueRequired', field: 'spec.service.name', message: '' });
  const port = spec.service.port ?? 0;
  if (!Number.isInteger(port) || port < 1 || port > 65535) errs.push({ type: 'FieldValueInvalid', field: 'spec.service.port', message: `${port}: port is not valid: must be between 1 and 65535, inclusive` });
  if (spec.insecureSkipTLSVerify && ca) errs.push({ type: 'FieldValueInvalid', field: 'spec.insecureSkipTLSVerify', message: 'true: may not be true if caBundle is present' });
  return errs;
}

/** Plugs defaults, validation and the table printer into the served APIService type. */
export function setupApiServiceType(registry: ResourceRegistry): ResourceType {
  const t = registry.get('apiregistration.k8s.io', 'v1', 'apiservices');
  if (!t) throw new Error('apiregistration.k8s.io/v1 apiservices is not a built-in type');
  // SetDefaults_ServiceReference (kube-aggregator pkg/apis/apiregistration/v1/defaults.go), on
  // decode as every built-in type's defaults, so admission sees the defaulted port.
  t.defaults = (o): void => {
    const svc = (o as ApiService).spec?.service;
    if (svc && typeof svc === 'object' && svc.port === undefined) svc.port = 443;
  };
  t.strategy = {
    ...(t.strategy ?? {}),
    validate: (o) => validate(o as ApiService),
  };
  t.table = {
    columns: [
      col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name'),
      col('Service', 'The reference to the service that hosts this API endpoint.'),
      col('Available', 'Whether this service is available.'),
      col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ],
    cells(o, now) {
      const a = o as ApiService;
      const svc = a.spec?.service ? `${a.spec.service.namespace}/${a.spec.service.name}` : 'Local';
      const c = availableCondition(a);
      const available = !c ? 'Unknown' : c.status === 'True' || !c.reason ? c.status : `${c.status} (${c.reason})`;
      return [a.metadata.name, svc, available, age(a.metadata.creationTimestamp, now)];
    },
  };
  registry.add(t);
  return t;
}
