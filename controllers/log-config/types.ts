/**
 * The `AliyunLogConfig` custom resource (log.alibabacloud.com/v1alpha1, namespaced, short
 * name `alc`), declared once: the CRD YAML in crds/ is generated from this schema
 * (`kubeloop generate crds`) and the TypeScript type follows from it. The schema refuses bad
 * specs at the API server (ranges, enums, required fields), so the controller only sees
 * objects it can act on.
 */
import { defineCustomResource, type ObjectOf } from 'kubeloop';

/** SLS project names: 3-63 lower-case letters, digits and hyphens. */
export const PROJECT_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$';
/**
 * Machine group names: 3-128 lower-case letters, digits, '_' and '-', starting and
 * ending with a letter or digit (SLS "Machine groups").
 */
export const SLS_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{1,126}[a-z0-9]$';
/** Logtail config names: the same characters, 2-128 long (SLS "Logtail configurations (Legacy)", LogtailConfig struct of API 2020-12-30). */
export const CONFIG_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,126}[a-z0-9]$';
/** Logstore names: the same characters, but 3-63 long (SLS "Logstores" naming rules). */
export const LOGSTORE_NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$';

export const SPEC_DEFAULTS = { shardCount: 2, lifeCycle: 90, inputType: 'file', outputType: 'LogService' } as const;

export const AliyunLogConfig = defineCustomResource({
  group: 'log.alibabacloud.com',
  version: 'v1alpha1',
  kind: 'AliyunLogConfig',
  plural: 'aliyunlogconfigs',
  singular: 'aliyunlogconfig',
  shortNames: ['alc'],
  subresources: { status: true },
  printerColumns: [
    { name: 'Logstore', type: 'string', jsonPath: '.spec.logstore' },
    { name: 'Config', type: 'string', jsonPath: '.spec.logtailConfig.configName' },
    { name: 'Status', type: 'string', jsonPath: '.status.status' },
    { name: 'Code', type: 'string', jsonPath: '.status.statusCode', priority: 1 },
    { name: 'Project', type: 'string', jsonPath: '.status.project', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  schema: {
    type: 'object',
    description: 'Log collection into Alibaba Cloud Simple Log Service (SLS): a logstore and a logtail config applied to machine groups.',
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        required: ['logstore', 'logtailConfig'],
        properties: {
          project: {
            type: 'string', pattern: PROJECT_NAME_PATTERN,
            description: 'SLS project (created when absent). Default: key log-project of the ConfigMap alibaba-log-configuration.',
          },
          logstore: { type: 'string', pattern: LOGSTORE_NAME_PATTERN, description: 'Logstore the logs go to (created when absent).' },
          shardCount: { type: 'integer', minimum: 1, maximum: 10, default: SPEC_DEFAULTS.shardCount, description: 'Shards of a new logstore (auto split on).' },
          lifeCycle: { type: 'integer', minimum: 1, maximum: 3650, default: SPEC_DEFAULTS.lifeCycle, description: 'Days the logs are kept.' },
          logstoreMode: { type: 'string', enum: ['standard', 'query'], description: 'Logstore mode; unset leaves the service default (standard).' },
          machineGroups: {
            type: 'array', items: { type: 'string', pattern: SLS_NAME_PATTERN }, maxItems: 32,
            description: 'Machine groups the config is applied to. Default: key log-machine-group of the ConfigMap alibaba-log-configuration.',
          },
          productCode: { type: 'string', description: 'Product code of an ACK product logstore; kept for compatibility with the original CRD, an object that sets it is refused (status ProductNotSupported).' },
          productLang: { type: 'string', description: 'Language of an ACK product logstore; refused like productCode.' },
          logtailConfig: {
            type: 'object',
            required: ['configName'],
            properties: {
              configName: { type: 'string', pattern: CONFIG_NAME_PATTERN, description: 'Logtail config name; unique in the project.' },
              inputType: { type: 'string', enum: ['file', 'plugin'], default: SPEC_DEFAULTS.inputType, description: 'file (log files) or plugin (stdout, plugin inputs).' },
              inputDetail: {
                type: 'object', 'x-kubernetes-preserve-unknown-fields': true,
                description: 'Free-form logtail input: logPath/filePattern/docker include labels for file, plugin.inputs/processors for plugin.',
              },
              outputType: { type: 'string', enum: ['LogService'], default: SPEC_DEFAULTS.outputType, description: 'Always LogService.' },
              logSample: { type: 'string', description: 'A sample log line (optional).' },
            },
          },
        },
      },
      status: {
        type: 'object',
        properties: {
          status: { type: 'string', description: 'OK, or the error of the last attempt.' },
          statusCode: { 'x-kubernetes-int-or-string': true, description: '200 on success, else the error code (e.g. Conflict, ProjectNotExist, ServerBusy).' },
          message: { type: 'string' },
          observedGeneration: { type: 'integer', format: 'int64' },
          project: { type: 'string', description: 'The project the config lives in (spec or cluster default).' },
          configName: { type: 'string', description: 'The logtail config this object manages.' },
          machineGroups: { type: 'array', items: { type: 'string' } },
          conditions: {
            type: 'array',
            items: {
              type: 'object', required: ['type', 'status'],
              properties: {
                type: { type: 'string' },
                status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
                reason: { type: 'string' },
                message: { type: 'string' },
                observedGeneration: { type: 'integer', format: 'int64' },
                lastTransitionTime: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
    },
  },
});
export type AliyunLogConfig = ObjectOf<typeof AliyunLogConfig>;
export type AliyunLogConfigSpec = NonNullable<AliyunLogConfig['spec']>;
export type AliyunLogConfigStatus = NonNullable<AliyunLogConfig['status']>;
