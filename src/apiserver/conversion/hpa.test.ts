// HorizontalPodAutoscalers in autoscaling/v1 and autoscaling/v2 from one storage (stored as v2),
// converted as kube-apiserver v1.32's pkg/apis/autoscaling/v1/conversion.go does, driven by
// kubectl 1.32 (`kubectl autoscale` POSTs autoscaling/v1, as protobuf) and raw requests.
// (kubectl expands the short name of `hpa.v1.autoscaling` to the preferred version, so the
// tests name the version with the full resource name.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, startTestServer, type TestServer } from '../semantics-testkit.js';
import { call, openWatch } from '../test-client.js';

const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('autoscaling/v1 HorizontalPodAutoscalers (converted to and from the v2 storage)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ rootCaPublisher: false });
  });
  after(async () => {
    await s.close();
  });

  it('discovery lists v1 and v2, v2 preferred', async () => {
    const v = await s.kubectl(['api-versions']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^autoscaling\/v1$/m);
    assert.match(v.stdout, /^autoscaling\/v2$/m);
    const g = (await call(s.server, 'GET', '/apis/autoscaling')).json as Json;
    assert.deepEqual(g.versions.map((x: Json) => x.version), ['v2', 'v1']);
    assert.equal(g.preferredVersion.version, 'v2');
    const r = await s.kubectl(['api-resources', '--api-group=autoscaling']);
    assert.match(r.stdout, /horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler/);
  });

  it('kubectl autoscale creates through v1; get prints it; each version reads it in its own shape', async () => {
    const d = await s.kubectl(['create', 'deployment', 'web', '--image=nginx']);
    assert.equal(d.code, 0, d.stderr);
    const a = await s.kubectl(['autoscale', 'deployment', 'web', '--max', '3', '--cpu-percent', '50']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /horizontalpodautoscaler.autoscaling\/web autoscaled/);
    assert.match((await s.kubectl(['get', 'hpa'])).stdout, /NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+3\s+0\s+\d+s/);
    const v1 = JSON.parse((await s.kubectl(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'json'])).stdout);
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.deepEqual(v1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 });
    assert.deepEqual(v1.status, { currentReplicas: 0, desiredReplicas: 0 });
    assert.equal(v1.metadata.annotations, undefined);
    const y = await s.kubectl(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'yaml']);
    assert.match(y.stdout, /^apiVersion: autoscaling\/v1$/m);
    assert.match(y.stdout, /targetCPUUtilizationPercentage: 50/);
    const v2 = JSON.parse((await s.kubectl(['get', 'horizontalpodautoscalers.v2.autoscaling', 'web', '-o', 'json'])).stdout);
    assert.equal(v2.apiVersion, 'autoscaling/v2');
    assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    assert.equal(v2.spec.minReplicas, 1);
    assert.equal(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
    assert.equal(v2.metadata.uid, v1.metadata.uid);
  });

  it('a v1 object without a cpu target reads in v2 with the implicit cpu 80% metric; v1 lists and tables show it', async () => {
    const c = await call(s.server, 'POST', V1, { metadata: { name: 'plain' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 4 } });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    assert.deepEqual((c.json as Json).spec, { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 80 });
    const v2 = (await call(s.server, 'GET', `${V2}/plain`)).json as Json;
    assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    const list = (await call(s.server, 'GET', V1)).json as Json;
    assert.equal(list.kind, 'HorizontalPodAutoscalerList');
    assert.ok(list.items.every((i: Json) => i.apiVersion === 'autoscaling/v1' && typeof i.spec.targetCPUUtilizationPercentage === 'number'));
    const t = await s.kubectl(['get', 'horizontalpodautoscalers.v1.autoscaling', 'plain']);
    assert.match(t.stdout, /plain\s+Deployment\/web\s+cpu: <unknown>\/80%\s+1\s+4\s+0\s+\d+s/);
    const bad = await call(s.server, 'POST', V1, { metadata: { name: 'bad' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 0, maxReplicas: 0 } });
    assert.equal(bad.status, 422);
    assert.match((bad.json as Json).message, /spec.maxReplicas: Invalid value: 0: must be greater than 0/);
  });

  it('a v2 object with other metrics, behavior and status round-trips through a v1 read and update, nothing lost', async () => {
    const metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: 'Value', value: '30' } } },
    ];
    const behavior = { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } };
    const c = await call(s.server, 'POST', V2, { metadata: { name: 'rich', annotations: { keep: 'me' } }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 9, metrics, behavior } });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const conditions = [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'ok', lastTransitionTime: '2026-12-07T08:00:00Z' }];
    const currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42, averageValue: '120m' } } }];
    const st = await call(s.server, 'PATCH', `${V2}/rich/status`, { status: { currentReplicas: 3, desiredReplicas: 3, currentMetrics, conditions } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(st.status, 200, JSON.stringify(st.json));
    const before = ((await call(s.server, 'GET', `${V2}/rich`)).json as Json);

    const v1 = (await call(s.server, 'GET', `${V1}/rich`)).json as Json;
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 60);
    assert.equal(v1.status.currentCPUUtilizationPercentage, 42);
    const ann = v1.metadata.annotations;
    assert.equal(ann.keep, 'me');
    assert.deepEqual(JSON.parse(ann['autoscaling.alpha.kubernetes.io/metrics']), [
      { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } },
      { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
      { type: 'External', external: { metricName: 'queue', metricSelector: { matchLabels: { q: 'jobs' } }, targetValue: '30' } },
    ]);
    assert.deepEqual(JSON.parse(ann['autoscaling.alpha.kubernetes.io/current-metrics']), [{ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 42, currentAverageValue: '120m' } }]);
    assert.deepEqual(JSON.parse(ann['autoscaling.alpha.kubernetes.io/conditions']), conditions);
    assert.deepEqual(JSON.parse(ann['autoscaling.alpha.kubernetes.io/behavior']), before.spec.behavior);

    // a v1 client changes maxReplicas and puts the object back as it read it
    v1.spec.maxReplicas = 10;
    const u = await call(s.server, 'PUT', `${V1}/rich`, v1);
    assert.equal(u.status, 200, JSON.stringify(u.json));
    assert.equal((u.json as Json).spec.maxReplicas, 10);
    const after = (await call(s.server, 'GET', `${V2}/rich`)).json as Json;
    assert.equal(after.spec.maxReplicas, 10);
    assert.equal(after.spec.minReplicas, 2);
    assert.deepEqual(after.metadata.annotations, { keep: 'me' });
    // upstream orders the annotation's metrics first, the cpu target last
    assert.deepEqual(after.spec.metrics, [...metrics.slice(1), metrics[0]]);
    assert.deepEqual(after.spec.behavior, before.spec.behavior);
    assert.deepEqual(after.status, before.status);
  });

  it('a watch on v1 sees v2 writes converted', async () => {
    const w = openWatch(s.server, `${V1}?watch=1&labelSelector=w%3D1`);
    assert.equal(await w.status, 200);
    const body = { metadata: { name: 'watched', labels: { w: '1' } }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] } };
    assert.equal((await call(s.server, 'POST', V2, body)).status, 201);
    assert.equal((await call(s.server, 'PATCH', `${V2}/watched`, { spec: { maxReplicas: 6 } }, { 'Content-Type': 'application/merge-patch+json' })).status, 200);
    await eventually(() => w.events.length >= 2, 'two events');
    w.stop();
    assert.deepEqual(w.events.map((e: Json) => [e.type, e.object.apiVersion, e.object.spec.maxReplicas, e.object.spec.targetCPUUtilizationPercentage, e.object.spec.metrics]), [
      ['ADDED', 'autoscaling/v1', 2, 70, undefined],
      ['MODIFIED', 'autoscaling/v1', 6, 70, undefined],
    ]);
  });
});
