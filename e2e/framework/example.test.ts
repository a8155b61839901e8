// The example operator of docs/framework.md, end to end against the built-in API server,
// with the CRD applied from the generated (committed) YAML.
import 'reflect-metadata';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ConfigMap, isInvalid, isNotFound, statusOf, type ConfigMapObject, type KubeClient, type KubeObject } from '../../src/index.js';
import { Greeting, runExample } from './example.js';
import { startServer, clientFor, eventually, type ServerHandle } from './harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let server: ServerHandle;
let client: KubeClient;

before(async () => {
  server = await startServer();
  client = clientFor(server);
});
after(async () => {
  client?.close();
  await server?.stop();
});

test('docs/framework.md shows e2e/framework/example.ts verbatim', () => {
  const doc = readFileSync(join(root, 'docs/framework.md'), 'utf8');
  const code = readFileSync(join(root, 'e2e/framework/example.ts'), 'utf8');
  assert.ok(doc.includes('```ts\n' + code + '```'), 'copy e2e/framework/example.ts into docs/framework.md');
  assert.ok(code.split('\n').length <= 60, 'the example stays under 60 lines');
});

test('the example operator: generated CRD applies and validates; greetings get a ConfigMap, a Ready condition and a farewell', async () => {
  const crd = parse(readFileSync(join(root, 'e2e/framework/generated/crds/demo.kubeloop.io_greetings.yaml'), 'utf8')) as KubeObject;
  await client.create(crd);
  await eventually('CRD served', async () => {
    try {
      await client.list(Greeting, { namespace: 'default' });
      return true;
    } catch {
      client.mapper.invalidate(Greeting.apiVersion);
      return false;
    }
  });
  // schema validation with field-level messages
  const bad = await client.create({ apiVersion: Greeting.apiVersion, kind: 'Greeting', metadata: { name: 'bad', namespace: 'default' }, spec: { message: '' } }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(isInvalid(bad), `expected 422 Invalid, got ${String(bad)}`);
  assert.match(JSON.stringify(statusOf(bad)), /spec\.message/);

  const manager = await runExample(server.kubeconfig);
  try {
    await client.create({ apiVersion: Greeting.apiVersion, kind: 'Greeting', metadata: { name: 'hi', namespace: 'default' }, spec: { message: 'hello', shout: true } });
    await eventually('ConfigMap written', async () => {
      try {
        const cm = await client.get<ConfigMapObject>(ConfigMap, 'hi-greeting', { namespace: 'default' });
        return cm.data?.message === 'HELLO' && cm.metadata.ownerReferences?.[0]?.kind === 'Greeting';
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
    await eventually('Ready condition', async () => {
      const g = await client.get<Greeting>(Greeting, 'hi', { namespace: 'default' });
      return g.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    });
    await client.patch(Greeting, 'hi', { spec: { shout: false } }, { namespace: 'default' });
    await eventually('ConfigMap updated', async () => (await client.get<ConfigMapObject>(ConfigMap, 'hi-greeting', { namespace: 'default' })).data?.message === 'hello');
    await client.delete(Greeting, 'hi', { namespace: 'default' });
    await eventually('greeting gone', async () => client.get(Greeting, 'hi', { namespace: 'default' }).then(() => false, (e) => isNotFound(e)));
    const events = await client.list<{ reason?: string }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    const reasons = events.items.map((e) => e.reason);
    assert.ok(reasons.includes('Greeted'), `events: ${reasons.join(',')}`);
    assert.ok(reasons.includes('Farewell'), `events: ${reasons.join(',')}`);
  } finally {
    await manager.stop();
  }
});
