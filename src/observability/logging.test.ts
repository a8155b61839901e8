import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, reconcileLogger, redactSecrets, redactString, REDACTED, isSecretKey } from './index.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (l: string) => lines.push(l) }, text: () => lines.join('') };
}

const CREDS = ['hunter2', 'tok-123456', 'AKSECRET987', 'eyJhbGciOi.payload.sig', 'dXNlcjpwYXNzd29yZA==', 'c3VwZXJzZWNyZXQ=', 'sts-token-xyz', 'Zm9vOmJhcg=='];

test('no credential text reaches the log output, wherever it is', () => {
  const c = capture();
  const log = createLogger({ destination: c.destination, level: 'trace', name: 'test' });
  const pullSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'acr', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{".dockerconfigjson":"c3VwZXJzZWNyZXQ="}}' } },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': 'c3VwZXJzZWNyZXQ=' },
  };
  log.info({ password: 'hunter2', nested: { deeper: { accessToken: 'tok-123456' } } }, 'logged in');
  log.debug({ cloud: { AccessKeySecret: 'AKSECRET987', SecurityToken: 'sts-token-xyz' } }, 'calling cloud');
  log.warn({ headers: { Authorization: 'Bearer eyJhbGciOi.payload.sig' } }, 'request');
  log.info({ secret: pullSecret }, 'updated secret');
  log.info('docker config {"auths":{"r.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="}}}');
  log.error(new Error('GET https://x/?token=tok-123456 failed with Authorization: Basic Zm9vOmJhcg=='), 'failed');
  log.info('with %s interpolation', 'password=hunter2');
  const child = log.child({ controller: 'acr', creds: { password: 'hunter2' } });
  child.info('reconciling');
  child.child({ object: { token: 'tok-123456' } }).info('deep child');
  reconcileLogger(log, { controller: 'acr', controllerKind: 'Secret', namespace: 'ns', name: 'acr', reconcileID: 'r1' }).info(
    { auths: { auth: 'dXNlcjpwYXNzd29yZA==' } },
    'done',
  );

  const out = c.text();
  for (const cred of CREDS) assert.ok(!out.includes(cred), `credential ${cred} leaked:\n${out}`);
  assert.ok(out.includes(REDACTED));
  // Non-secret content survives.
  const lines = c.lines.map((l) => JSON.parse(l));
  assert.equal(lines.length, 10);
  assert.equal(lines[0].msg, 'logged in');
  assert.equal(lines[0].name, 'test');
  assert.equal(lines[3].secret.metadata.name, 'acr');
  assert.equal(lines[3].secret.type, 'kubernetes.io/dockerconfigjson');
  assert.equal(lines[5].err.type, 'Error');
  assert.equal(lines[7].controller, 'acr');
  assert.deepEqual(
    { controller: lines[9].controller, controllerKind: lines[9].controllerKind, Secret: lines[9].Secret, reconcileID: lines[9].reconcileID },
    { controller: 'acr', controllerKind: 'Secret', Secret: { name: 'acr', namespace: 'ns' }, reconcileID: 'r1' },
  );
});

test('log level from option and KUBELOOP_LOG_LEVEL; invalid levels are a clear error', () => {
  const c = capture();
  const log = createLogger({ destination: c.destination, level: 'warn' });
  log.info('hidden');
  log.warn('shown');
  assert.equal(c.lines.length, 1);

  const prev = process.env.KUBELOOP_LOG_LEVEL;
  try {
    process.env.KUBELOOP_LOG_LEVEL = 'debug';
    const c2 = capture();
    createLogger({ destination: c2.destination }).debug('yes');
    assert.equal(c2.lines.length, 1);
    delete process.env.KUBELOOP_LOG_LEVEL;
    const c3 = capture();
    createLogger({ destination: c3.destination }).debug('no');
    assert.equal(c3.lines.length, 0, 'default level is info');
  } finally {
    if (prev === undefined) delete process.env.KUBELOOP_LOG_LEVEL;
    else process.env.KUBELOOP_LOG_LEVEL = prev;
  }
  assert.throws(() => createLogger({ level: 'loud' }), /invalid log level "loud"/);
});

test('pretty format is one readable line, still redacted', () => {
  const c = capture();
  const log = createLogger({ destination: c.destination, pretty: true, name: 'mgr' });
  log.info({ controller: 'route', token: 'tok-123456', note: 'two words' }, 'started');
  assert.equal(c.lines.length, 1);
  assert.match(c.lines[0], /^\d\d:\d\d:\d\d\.\d{3} INFO  mgr: started controller=route token=\[REDACTED\] note="two words"\n$/);
});

test('redactSecrets copies and never mutates; handles cycles, arrays, Maps', () => {
  const input: Record<string, unknown> = { list: [{ password: 'p' }, 'Bearer abc.def'], m: new Map([['token', 't']]), keep: 1, secretName: 'my-secret' };
  input.self = input;
  const out = redactSecrets(input);
  assert.equal((input.list as { password: string }[])[0].password, 'p', 'input untouched');
  assert.deepEqual((out.list as unknown[])[0], { password: REDACTED });
  assert.equal((out.list as unknown[])[1], `Bearer ${REDACTED}`);
  assert.equal((out.m as Map<string, string>).get('token'), REDACTED);
  assert.equal(out.self, '[Circular]');
  assert.equal(out.keep, 1);
  assert.equal(out.secretName, 'my-secret', 'a reference to a secret by name is not itself secret');
  assert.equal(redactSecrets({ password: 'x' }, { extraKeys: ['pin'] }).password, REDACTED);
  assert.equal(redactSecrets({ pin: '1234' }, { extraKeys: ['pin'] }).pin, REDACTED);
  assert.equal(isSecretKey('imagePullSecrets'), false);
  assert.equal(isSecretKey('registryPassword'), true);
  assert.equal(redactString('user=bob&password=s3cret&x=1'), `user=bob&password=${REDACTED}&x=1`);
  assert.equal(redactString('pull https://robot:s3cret@cr.example.com/v2/'), `pull https://robot:${REDACTED}@cr.example.com/v2/`);
  assert.equal(redactString('http://127.0.0.1:8080/healthz'), 'http://127.0.0.1:8080/healthz', 'host:port is not a password');
  assert.equal(redactString('sa eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl'), `sa ${REDACTED}`);
  const pem = redactString('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----');
  assert.ok(!pem.includes('MHcCAQEEIB'));
  const cert = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----';
  assert.equal(redactString(cert), cert, 'certificates are public');
});
