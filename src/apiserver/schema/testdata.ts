/** A realistic CRD used by the schema tests (modelled on the SLS log config controller's CRD). */
import type { CustomResourceDefinition } from './types.js';

export function aliyunLogConfigCrd(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'aliyunlogconfigs.log.alibabacloud.com' },
    spec: {
      group: 'log.alibabacloud.com',
      scope: 'Namespaced',
      names: { plural: 'aliyunlogconfigs', singular: 'aliyunlogconfig', kind: 'AliyunLogConfig', listKind: 'AliyunLogConfigList', shortNames: ['alc'], categories: ['all'] },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Logstore', type: 'string', jsonPath: '.spec.logstore', description: 'Target logstore' },
            { name: 'Shards', type: 'integer', jsonPath: '.spec.shardCount' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 1 },
          ],
          schema: {
            openAPIV3Schema: {
              description: 'AliyunLogConfig ships container logs to an SLS logstore.',
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  description: 'Desired log collection.',
                  type: 'object',
                  required: ['logstore'],
                  properties: {
                    project: { type: 'string', description: 'SLS project; defaults to the cluster project.' },
                    logstore: { type: 'string', minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Logstore name.' },
                    shardCount: { type: 'integer', minimum: 1, maximum: 10, default: 2 },
                    lifeCycle: { type: 'integer', minimum: 1, maximum: 3650, default: 90 },
                    inputType: { type: 'string', enum: ['file', 'plugin'], default: 'file' },
                    inputDetail: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: 'Free-form logtail input.' },
                    machineGroups: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set', maxItems: 3 },
                    retention: {
                      type: 'object',
                      default: {},
                      properties: { hotTTL: { type: 'integer', default: 7 }, mode: { type: 'string', default: 'standard' } },
                    },
                    port: { 'x-kubernetes-int-or-string': true },
                    indexes: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['key'],
                      items: { type: 'object', required: ['key'], properties: { key: { type: 'string' }, token: { type: 'string', nullable: true } } },
                    },
                    createdAfter: { type: 'string', format: 'date-time' },
                    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 5 } },
                    template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    conditions: {
                      type: 'array',
                      items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' } } },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
