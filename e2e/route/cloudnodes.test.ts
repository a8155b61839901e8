// Nodes that are real (emulated) ECS instances of a scaling group: the emulator checks that
// every next hop is an existing instance, nodes come and go with the group, and their routes
// follow.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeInProcess } from '../support/index.js';
import { customEntries, eventually, networkCondition, nodes, startRouteController, startRouteEnv, type RouteEnv, type RunningController } from './harness.js';
import { instanceIdFromProviderId } from '@kubeloop/ack/route';

describeInProcess('route controller with cloud instances as nodes', 'sizes a scaling group of its own in an emulator that validates next hops', () => {
  let env: RouteEnv;
  let ctl: RunningController;
  before(async () => {
    env = await startRouteEnv({ cloudNodes: true, cloud: { validateNextHop: true, cloud: { groupMinSize: 2, groupMaxSize: 5 }, timings: { bootDelayMs: 50 } } });
    ctl = await startRouteController(env);
  });
  after(async () => {
    await ctl?.stop();
    await env?.stop();
  });

  const routedNodes = async () => {
    const ns = await nodes(env);
    const es = customEntries(env);
    return ns.filter((n) => {
      const id = instanceIdFromProviderId(n.spec?.providerID);
      return id && es.some((e) => e.destinationCidrBlock === n.spec?.podCIDR && e.nextHopId === id && e.status === 'Available')
        && networkCondition(n)?.reason === 'RouteCreated';
    }).map((n) => n.metadata.name!);
  };

  it('routes the group\'s instances, follows a scale-up and a scale-down', async () => {
    await eventually('2 instance nodes routed', async () => (await routedNodes()).length === 2 && (await nodes(env)).length === 2);
    const group = env.cloud.state.scalingGroups[0].scalingGroupId;
    await env.api.scaling.setDesiredCapacity(group, 3);
    await eventually('3 instance nodes routed', async () => (await routedNodes()).length === 3 && (await nodes(env)).length === 3);
    assert.equal(customEntries(env).length, 3);
    const instances = await env.api.scaling.listScalingInstances(group);
    const victim = instances[0].instanceId;
    await env.api.scaling.removeInstances(group, [victim]);
    await eventually('the removed instance\'s node and route are gone', async () =>
      (await nodes(env)).length === 2 && !customEntries(env).some((e) => e.nextHopId === victim));
    assert.equal((await routedNodes()).length, 2);
  });
});
