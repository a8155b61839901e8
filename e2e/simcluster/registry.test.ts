// The kubelet pulls images from the emulated registry with the pod's imagePullSecrets.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAlibabaCloud } from '@kubeloop/ack/cloud';
import { describeNeeds, EXTERNAL } from '../support/index.js';
import { eventsFor, eventually, NodeKind, PodKind, startEnv, type Env, type Obj } from './harness.js';

describeNeeds('simulated cluster: image pulls from the emulated registry', { simulatedNodes: true, cloud: true }, () => {
  let env: Env;
  let image: string;
  let node: string;
  before(async () => {
    env = await startEnv({ withCloud: true, nodes: 1 });
    // the static node is an ECS worker, named as ACK names it (<region>.<private-ip>)
    node = EXTERNAL ? ((await env.client.list<Obj>(NodeKind)).items as Obj[])[0].metadata.name! : env.sim.pool.names()[0];
    const reg = (await env.emulatorState()).registries[0];
    image = `${reg.domains[0].replace('{port}', String(env.emulatorPort()))}/kubeloop/app:v1`;
  });
  after(async () => { await env?.stop(); });

  // the node keeps pulled images: `latest` makes the pull policy Always, so every pod pulls
  const pod = (name: string, secret?: string, tag = 'v1'): Obj => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: env.ns },
    spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'app', image: image.replace(/:v1$/, `:${tag}`) }], ...(secret ? { imagePullSecrets: [{ name: secret }] } : {}) },
  });

  it('pulls with credentials from GetAuthorizationToken in a dockerconfigjson Secret', async () => {
    const { client } = env;
    const cloud = env.emulator;
    const ali = createAlibabaCloud({ regionId: cloud!.regionId, emulator: cloud!.url, credentials: { accessKeyId: cloud!.accessKeyId, accessKeySecret: cloud!.accessKeySecret } });
    const [instance] = await ali.registry.listInstances();
    const token = await ali.registry.getAuthorizationToken(instance.instanceId);
    const host = image.split('/')[0];
    const config = { auths: { [host]: { username: token.tempUsername, password: token.authorizationToken, auth: Buffer.from(`${token.tempUsername}:${token.authorizationToken}`).toString('base64') } } };
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'acr', namespace: env.ns }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') } });
    await client.create(pod('with-secret', 'acr'));
    const p = await eventually('running', async () => { const p = await client.get<Obj>(PodKind, 'with-secret', { namespace: env.ns }); return p.status?.phase === 'Running' ? p : undefined; });
    assert.match(p.status.containerStatuses[0].imageID, new RegExp(`^${host.replace(/\./g, '\\.')}/kubeloop/app@sha256:[0-9a-f]{64}$`));
    // Events are recorded asynchronously, like client-go's broadcaster
    await eventually('Pulled event', async () => (await eventsFor(client, 'with-secret', env.ns)).some((e) => e.reason === 'Pulled'));
  });

  it('fails with ErrImagePull, a Failed event and then ImagePullBackOff without credentials', async () => {
    const { client } = env;
    await client.create(pod('no-secret', undefined, 'latest'));
    const waiting = await eventually('ErrImagePull', async () => {
      const p = await client.get<Obj>(PodKind, 'no-secret', { namespace: env.ns });
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ErrImagePull' ? w : undefined;
    });
    assert.match(waiting.message, /unauthorized/);
    const failed = await eventually('Failed event', async () => (await eventsFor(client, 'no-secret', env.ns)).find((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image')));
    assert.equal(failed.type, 'Warning');
    assert.ok(failed.message.startsWith(`Failed to pull image "${image.replace(/:v1$/, ':latest')}": `), failed.message);
    assert.match(failed.message, /unauthorized/);
    await eventually('ImagePullBackOff', async () => {
      const p = await client.get<Obj>(PodKind, 'no-secret', { namespace: env.ns });
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' && p.status.phase === 'Pending';
    });
    // a wrong password is refused too
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad', namespace: env.ns }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [image.split('/')[0]]: { username: 'cr_temp_user', password: 'nope' } } })).toString('base64') } });
    await client.create(pod('bad-secret', 'bad', 'latest'));
    await eventually('ErrImagePull with a bad password', async () => {
      const p = await client.get<Obj>(PodKind, 'bad-secret', { namespace: env.ns });
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull';
    });
  });
  it('with pull policy Always, a pod without credentials never runs on an image another pod pulled to the node', async () => {
    const { client } = env;
    await client.create(pod('latest-with-secret', 'acr', 'latest'));
    await eventually('the pod with credentials runs', async () => (await client.get<Obj>(PodKind, 'latest-with-secret', { namespace: env.ns })).status?.phase === 'Running');
    await client.create(pod('latest-borrower', undefined, 'latest'));
    // several pull attempts (ErrImagePull -> back-off -> retry) all fail: the node's copy is not borrowed
    await eventually('retried pulls', async () => {
      const failed = (await eventsFor(client, 'latest-borrower', env.ns)).find((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image'));
      return (failed?.count ?? 0) >= 3;
    }, EXTERNAL ? 90_000 : undefined); // an external cluster's kubelets back off as kubelets do (10 s, doubling)
    const p = await client.get<Obj>(PodKind, 'latest-borrower', { namespace: env.ns });
    assert.equal(p.status?.phase, 'Pending');
    assert.ok(!p.status?.containerStatuses?.[0]?.state?.running, JSON.stringify(p.status?.containerStatuses));
  });
});
