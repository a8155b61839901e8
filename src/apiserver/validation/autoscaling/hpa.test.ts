// autoscaling/v2 HorizontalPodAutoscalers as kube-apiserver v1.32 serves them, driven through
// kubectl: discovery, printing, defaults, status and 422s. (autoscaling/v1, which `kubectl
// autoscale` writes, is converted to and from this storage: conversion/hpa.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../semantics-testkit.js';

describe('autoscaling/v2 HorizontalPodAutoscaler (upstream v1.32 defaults and validation)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('is discovered as hpa in the "all" category', async () => {
    const r = await s.kubectl(['api-resources', '--api-group=autoscaling', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler\s+create,delete,deletecollection,get,list,patch,update,watch\s+all/);
  });

  it('defaults minReplicas, the cpu metric and the behavior rules; prints as kubectl shows it; status through /status', async () => {
    const c = await s.kubectl(['apply', '-f', '-'], 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 5\n  behavior: {scaleDown: {stabilizationWindowSeconds: 60}}\n');
    assert.equal(c.code, 0, c.stderr);
    const got = JSON.parse((await s.kubectl(['get', 'hpa', 'web', '-o', 'json'])).stdout);
    assert.equal(got.spec.minReplicas, 1);
    assert.deepEqual(got.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.deepEqual(got.spec.behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.deepEqual(got.spec.behavior.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.deepEqual(got.status, { desiredReplicas: 0 });
    assert.match((await s.kubectl(['get', 'hpa'])).stdout, /NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb\s+Deployment\/web\s+cpu: <unknown>\/80%\s+1\s+5\s+0\s+\d+s/);
    const st = await s.kubectl(['patch', 'hpa', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"currentReplicas":2,"desiredReplicas":2,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":45}}}]}}']);
    assert.equal(st.code, 0, st.stderr);
    assert.match((await s.kubectl(['get', 'hpa', 'web'])).stdout, /web\s+Deployment\/web\s+cpu: 45%\/80%\s+1\s+5\s+2\s+\d+s/);
    const d = await s.kubectl(['describe', 'hpa', 'web']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Reference:\s+Deployment\/web/);
    assert.match(d.stdout, /Min replicas:\s+1\nMax replicas:\s+5/);
  });

  it('validates replicas, the target reference, metrics and behavior (validateHorizontalPodAutoscalerSpec)', async () => {
    const bad = await s.kubectl(['apply', '-f', '-'], 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: bad}\nspec:\n  scaleTargetRef: {kind: Deployment}\n  minReplicas: 0\n  maxReplicas: 0\n  metrics: [{type: Resource}, {type: Memory}]\n  behavior: {scaleUp: {policies: [{type: Pods, value: 0, periodSeconds: 4000}]}}\n');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /The HorizontalPodAutoscaler "bad" is invalid: /);
    assert.match(bad.stderr, /\* spec.minReplicas: Invalid value: 0: must be greater than or equal to 1/);
    assert.match(bad.stderr, /\* spec.maxReplicas: Invalid value: 0: must be greater than 0/);
    assert.match(bad.stderr, /\* spec.scaleTargetRef.name: Required value/);
    assert.match(bad.stderr, /\* spec.metrics\[0\].resource: Required value: must populate information for the given metric source/);
    assert.match(bad.stderr, /\* spec.metrics\[1\].type: Unsupported value: "Memory": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"/);
    assert.match(bad.stderr, /\* spec.behavior.scaleUp.policies\[0\].value: Invalid value: 0: must be greater than zero/);
    assert.match(bad.stderr, /\* spec.behavior.scaleUp.policies\[0\].periodSeconds: Invalid value: 4000: must be less than or equal to 1800/);
    const upd = await s.kubectl(['patch', 'hpa', 'web', '--type=merge', '-p', '{"spec":{"minReplicas":7}}']);
    assert.equal(upd.code, 1);
    assert.match(upd.stderr, /spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`/);
  });
});
