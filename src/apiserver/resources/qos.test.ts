import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podQOSClass } from './qos.js';

test('QoS classes as ComputePodQOS gives them', () => {
  const c = (requests?: Record<string, string>, limits?: Record<string, string>) => ({ name: 'c', resources: { requests, limits } });
  assert.equal(podQOSClass({ containers: [c()] }), 'BestEffort');
  assert.equal(podQOSClass({ containers: [c({ cpu: '0' })] }), 'BestEffort', 'zero counts as unset');
  assert.equal(podQOSClass({ containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi' })] }), 'Guaranteed');
  assert.equal(podQOSClass({ containers: [c({ cpu: '1' }, { cpu: '1' })] }), 'Burstable', 'memory is not limited');
  assert.equal(podQOSClass({ containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '1Gi' })] }), 'Burstable');
  assert.equal(podQOSClass({ containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], initContainers: [c({ cpu: '1' })] }), 'Burstable', 'init containers count');
});
