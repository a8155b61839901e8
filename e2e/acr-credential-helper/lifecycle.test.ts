// The ACR credential helper against the built-in API server, the simulated cluster (kubelets
// pull from the emulated registry with the pods' imagePullSecrets) and the cloud emulator.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROLLER_NAME } from '@kubeloop/ack/acr-credential-helper';
import { drained } from '../../src/testing/index.js';
import { EXTERNAL, describeNeeds, inProcessOnly } from '../support/index.js';
import {
  K, SECRET, addRepository, authsOf, createNamespace, deployment, eventually, eventsFor, podsOf, pullSecretsOf, secretOf, setConfig, startAcrEnv, startHelper,
  waitingReason, type AcrEnv, type Obj, type RunningHelper,
} from './harness.js';

describeNeeds('ACR credential helper: namespaces, ServiceAccounts, configuration', { simulatedNodes: true, cloud: true }, () => {
  let env: AcrEnv;
  let helper: RunningHelper | undefined;
  let image: string;

  before(async () => {
    env = await startAcrEnv();
    image = `${env.imageRepo}:latest`; // pull policy Always: every pod pulls (the node keeps IfNotPresent images)
    for (const ns of ['ns-a', 'ns-b', 'ns-c']) await createNamespace(env, ns);
    await setConfig(env, { 'watch-namespace': 'ns-a,ns-b' });
    helper = await startHelper(env, { recreateStuckPods: true });
  });
  after(async () => {
    await helper?.stop();
    await env?.stop();
  });

  it('pods pull in watched namespaces, fail with ErrImagePull outside, and recover once their namespace is added', async () => {
    for (const ns of ['ns-a', 'ns-b']) {
      await eventually(`SA default in ${ns} references the secret`, async () => (await pullSecretsOf(env, ns, 'default')).includes(SECRET));
    }
    const s = (await secretOf(env, 'ns-a'))!;
    assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
    assert.equal(s.metadata.labels?.['acr.kubeloop.io/managed'], 'true');
    const auths = authsOf(s);
    assert.ok(auths[env.registryHost], `auths for ${env.registryHost}: ${Object.keys(auths)}`);
    assert.equal(auths[env.registryHost].username, 'cr_temp_user');
    assert.equal(await secretOf(env, 'ns-c'), undefined);

    await env.client.create(deployment('app', 'ns-a', image));
    await env.client.create(deployment('app', 'ns-c', await addRepository(env, 'stuck')));
    await eventually('app Running in ns-a', async () => (await podsOf(env, 'ns-a', 'app')).some((p) => p.status?.phase === 'Running'));
    const stuck = await eventually('ErrImagePull in ns-c', async () => (await podsOf(env, 'ns-c', 'app')).find((p) => waitingReason(p) === 'ErrImagePull' || waitingReason(p) === 'ImagePullBackOff'));
    assert.equal(stuck.spec.imagePullSecrets, undefined);

    await setConfig(env, { 'watch-namespace': 'ns-a,ns-b,ns-c' });
    const running = await eventually('app Running in ns-c without user action', async () =>
      (await podsOf(env, 'ns-c', 'app')).find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp));
    assert.deepEqual(running.spec.imagePullSecrets, [{ name: SECRET }]);
    assert.notEqual(running.metadata.uid, stuck.metadata.uid);
    const rs = stuck.metadata.ownerReferences![0].name;
    const ev = await eventually('RecreatingStuckPod event', async () => (await eventsFor(env, 'ns-c', rs)).find((e) => e.reason === 'RecreatingStuckPod'));
    assert.match(ev.message, new RegExp(`Deleted pod ${stuck.metadata.name}`));
  });

  it('closes the create-together race: a namespace, its ServiceAccount and pods created at once', async () => {
    await setConfig(env, { 'watch-namespace': 'ns-a,ns-b,ns-c,ns-race', 'service-account': 'default,robot' });
    await env.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-race' } });
    await eventually('SA robot creatable', async () => {
      await env.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'ns-race' } });
      return true;
    });
    const d = deployment('race', 'ns-race', await addRepository(env, 'race'));
    d.spec.template.spec.serviceAccountName = 'robot';
    await env.client.create(d);
    await eventually('race Running', async () => (await podsOf(env, 'ns-race', 'race')).some((p) => p.status?.phase === 'Running'));
  });

  it('service-account "*": later ServiceAccounts get the secret; explicit imagePullSecrets are kept and ours is added once', async () => {
    await setConfig(env, { 'watch-namespace': 'ns-a,ns-b,ns-c', 'service-account': '*' });
    await env.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'ns-b' } });
    await env.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'own', namespace: 'ns-b' }, imagePullSecrets: [{ name: 'mine' }] } as Obj);
    await env.client.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'dup', namespace: 'ns-b' }, imagePullSecrets: [{ name: SECRET }, { name: 'mine' }, { name: SECRET }] } as Obj);
    await eventually('builder gets the secret', async () => (await pullSecretsOf(env, 'ns-b', 'builder')).includes(SECRET));
    await eventually('own keeps mine and gains ours', async () => JSON.stringify(await pullSecretsOf(env, 'ns-b', 'own')) === JSON.stringify(['mine', SECRET]));
    await eventually('dup loses the duplicate', async () => JSON.stringify(await pullSecretsOf(env, 'ns-b', 'dup')) === JSON.stringify([SECRET, 'mine']));
    // the user edits the list: their new entry stays, ours stays once
    const own = await env.client.get<Obj>(K.ServiceAccount, 'own', { namespace: 'ns-b' });
    await env.client.update({ ...own, imagePullSecrets: [{ name: 'mine' }, { name: 'other' }] });
    await eventually('own: user edit kept, ours re-added once', async () => JSON.stringify(await pullSecretsOf(env, 'ns-b', 'own')) === JSON.stringify(['mine', 'other', SECRET]));
  });

  inProcessOnly('a restarted helper creates no duplicates', 'restarts the helper', async () => {
    await helper!.stop();
    helper = await startHelper(env, { recreateStuckPods: true });
    await eventually('restarted helper reconciled every namespace', async () => {
      const m = await helper!.registry.metrics();
      const done = /controller_runtime_reconcile_total\{controller="acr-credential-helper",result="requeue_after"\} (\d+)/.exec(m);
      return done && Number(done[1]) >= 3;
    });
    for (const ns of ['ns-a', 'ns-b', 'ns-c']) {
      const secrets = ((await env.client.list<Obj>(K.Secret, { namespace: ns, labelSelector: 'acr.kubeloop.io/managed=true' })).items as Obj[]);
      assert.equal(secrets.length, 1, `${ns}: ${secrets.map((x) => x.metadata.name)}`);
      for (const sa of (await env.client.list<Obj>(K.ServiceAccount, { namespace: ns })).items as Obj[]) {
        const names = (sa.imagePullSecrets ?? []).map((r: { name: string }) => r.name);
        assert.equal(names.filter((n: string) => n === SECRET).length, 1, `${ns}/${sa.metadata.name}: ${names}`);
      }
    }
  });

  it('a deleted or edited Secret is put back at once', async () => {
    const before = (await secretOf(env, 'ns-a'))!;
    await env.client.delete(K.Secret, SECRET, { namespace: 'ns-a' });
    const again = await eventually('Secret recreated', async () => { const s = await secretOf(env, 'ns-a'); return s && s.metadata.uid !== before.metadata.uid ? s : undefined; });
    assert.ok(authsOf(again)[env.registryHost]);
    await env.client.patch(K.Secret, SECRET, { data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') } }, { namespace: 'ns-a' });
    await eventually('Secret content restored', async () => { const s = await secretOf(env, 'ns-a'); return s && authsOf(s)[env.registryHost]; });
  });

  it('a namespace removed from watch-namespace loses our Secret and references; user entries stay', async () => {
    await setConfig(env, { 'watch-namespace': 'ns-a,ns-c', 'service-account': '*' });
    await eventually('secret gone from ns-b', async () => (await secretOf(env, 'ns-b')) === undefined);
    await eventually('references gone from ns-b', async () => {
      for (const sa of ['default', 'builder', 'dup']) if ((await pullSecretsOf(env, 'ns-b', sa)).includes(SECRET)) return false;
      return JSON.stringify(await pullSecretsOf(env, 'ns-b', 'own')) === JSON.stringify(['mine', 'other']);
    });
    assert.ok(await secretOf(env, 'ns-a'));
  });

  it('an invalid acr-registry-info keeps the previous setup and raises a Warning Event naming the key', async () => {
    await setConfig(env, { 'watch-namespace': 'ns-a', 'service-account': '*', 'acr-registry-info': '- instanceId: [unclosed' });
    const ev = await eventually('InvalidConfiguration event', async () =>
      (await eventsFor(env, 'kube-system', 'acr-configuration')).find((e) => e.reason === 'InvalidConfiguration'));
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^acr-registry-info: .*keeping the last good configuration/);
    // ns-c is still watched under the last good configuration: the reconcile that reported the
    // bad one, and any namespace it queued, are done (in-process; the cluster's helper is only
    // seen through its Events and Secrets)
    if (!EXTERNAL) await drained(helper!.manager, CONTROLLER_NAME);
    assert.ok(await secretOf(env, 'ns-c'));
    assert.ok((await pullSecretsOf(env, 'ns-c', 'default')).includes(SECRET));
    // fixed: applied
    await setConfig(env, { 'watch-namespace': 'ns-a', 'service-account': '*', 'webhook-configuration': 'enable: true\nfailure-policy: Ignore\n' });
    await eventually('ns-c cleaned up once the fixed config drops it', async () => (await secretOf(env, 'ns-c')) === undefined);
    // the webhook option is understood, and the Event says what covers the race instead
    const wh = await eventually('WebhookNotServed event', async () =>
      (await eventsFor(env, 'kube-system', 'acr-configuration')).find((e) => e.reason === 'WebhookNotServed'));
    assert.match(wh.message, /--recreate-stuck-pods/);
  });

  it('deleting the ConfigMap removes our Secrets and references and never touches user Secrets', async () => {
    await env.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mine', namespace: 'ns-a' }, type: 'Opaque', data: { k: Buffer.from('v').toString('base64') } } as Obj);
    await env.client.delete(K.ConfigMap, 'acr-configuration', { namespace: 'kube-system' });
    await eventually('all our Secrets gone', async () =>
      ((await env.client.list<Obj>(K.Secret, { labelSelector: 'acr.kubeloop.io/managed=true' })).items as Obj[]).length === 0);
    await eventually('all references gone', async () => {
      for (const sa of (await env.client.list<Obj>(K.ServiceAccount)).items as Obj[]) {
        if ((sa.imagePullSecrets ?? []).some((r: { name: string }) => r.name === SECRET)) return false;
      }
      return true;
    });
    assert.ok(await env.client.get(K.Secret, 'mine', { namespace: 'ns-a' }));
  });
});
