// Upstream's exclusions (pkg/controller/helper IsExcludedNode): the deprecated
// `service.beta.kubernetes.io/exclude-node` label and hybrid-cloud nodes (providerID
// `ack-hybrid://...`), plus ACK Edge's edge nodes (`alibabacloud.com/is-edge-worker: "true"`,
// outside the VPC). They get no route and no Warning; a cloud node of an edge cluster
// (`is-edge-worker: "false"`) is routed.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import {
  createNode, customEntries, eventually, eventsFor, networkCondition, settled, startRouteController, startRouteEnv,
  NodeKind, type Obj, type RouteEnv, type RunningController,
} from './harness.js';

describeInProcess('route controller exclusions', 'starts its own controller after labelling nodes of its own (hybrid, edge, excluded)', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  it('leaves nodes with the deprecated exclude label, hybrid nodes and edge nodes alone', async () => {
    env = await startRouteEnv({ components: { nodeLifecycle: false, ipam: false } });
    await createNode(env, 'old-label', '172.16.31.0/24', { labels: { 'service.beta.kubernetes.io/exclude-node': 'true' } });
    await createNode(env, 'hybrid', '172.16.32.0/24', { providerID: 'ack-hybrid://cn-hangzhou.idc-node-1' });
    await createNode(env, 'edge', '172.16.33.0/24', { labels: { 'alibabacloud.com/is-edge-worker': 'true' } });
    await createNode(env, 'cloud', '172.16.34.0/24', { labels: { 'alibabacloud.com/is-edge-worker': 'false' } });
    ctl = await startRouteController(env);
    await eventually('the cloud node routed', async () => networkCondition(await env.client.get<Obj>(NodeKind, 'cloud'))?.reason === 'RouteCreated');
    await settled(ctl, env); // a pass begun after the cloud node was routed
    assert.deepEqual(customEntries(env).map((e) => e.nextHopId), ['i-cloud']);
    for (const n of ['old-label', 'hybrid', 'edge']) {
      assert.equal(networkCondition(await env.client.get<Obj>(NodeKind, n)), undefined, n);
      assert.deepEqual((await eventsFor(env, n)).filter((e) => e.type === 'Warning').map((e) => e.reason), [], n);
    }
  });
});
