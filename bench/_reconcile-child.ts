// Child processes of bench/reconcile.ts, so the API server and the load writer do not share
// a CPU with the manager under test: `server`, `writer <kubeconfigPath>` and `relay` (the
// floor: a bare https server that answers each write and relays it, as a watch event line, to
// the streams open on GET /watch). JSON lines on stdout, commands as lines on stdin.
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { KubeClient, loadKubeConfig } from '../src/client/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const stamp = () => performance.timeOrigin + performance.now();

async function server(): Promise<void> {
  const mod = (await import(pathToFileURL(join(here, '..', 'src', 'apiserver', 'index.js')).href)) as {
    startApiServer(o: { port: number }): Promise<{ url: string; kubeconfigPath: string; stop(): Promise<void> }>;
  };
  const s = await mod.startApiServer({ port: 0 });
  say({ ready: true, url: s.url, kubeconfigPath: s.kubeconfigPath });
  for await (const _ of createInterface({ input: process.stdin })) {
    /* run until stdin closes */
  }
  await s.stop();
}

async function relay(): Promise<void> {
  const { generatePki, kubeconfigYaml } = (await import(pathToFileURL(join(here, '..', 'src', 'apiserver', 'index.js')).href)) as typeof import('../src/apiserver/index.js');
  const pki = generatePki();
  const watchers = new Set<ServerResponse>();
  const json = (res: ServerResponse, code: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const s = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    if (req.method === 'GET' && req.url === '/watch') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      watchers.add(res);
      req.on('close', () => watchers.delete(res));
      return;
    }
    if (req.method === 'GET' && req.url === '/api/v1') {
      return json(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1', resources: [{ name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: ['get', 'list', 'patch', 'update', 'create', 'delete', 'watch'] }] });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = (req.url ?? '').split('?')[0].split('/').pop();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { data?: Record<string, string> };
      const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench' }, data: body.data };
      json(res, 200, object);
      const line = JSON.stringify({ type: 'MODIFIED', object }) + '\n';
      for (const w of watchers) w.write(line);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'kubeloop-bench-relay-')), 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(url, pki));
  say({ ready: true, url, kubeconfigPath });
  for await (const _ of createInterface({ input: process.stdin })) {
    /* run until stdin closes */
  }
  for (const w of watchers) w.end();
  s.close();
}

async function writer(kubeconfigPath: string): Promise<void> {
  const client = new KubeClient(loadKubeConfig({ path: kubeconfigPath }), { maxSockets: 128 } as never);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, a, b, c] = line.trim().split(/\s+/);
    if (cmd === 'populate') {
      const n = Number(a);
      try {
        await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
      } catch {
        /* exists */
      }
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          await client.create({ ...CM, metadata: { name: `cm-${i}`, namespace: 'bench' }, data: { t: '0' } });
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
      say({ populated: n });
    } else if (cmd === 'churn') {
      // churn <keys> <writes/s> <seconds>: patch keys round-robin, stamping data.t
      const keys = Number(a);
      const rate = Number(b);
      const seconds = Number(c);
      let sent = 0;
      let failed = 0;
      let inflight = 0;
      let i = 0;
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const elapsed = performance.now() - t0;
          if (elapsed >= seconds * 1000) {
            clearInterval(tick);
            const wait = setInterval(() => {
              if (inflight === 0) {
                clearInterval(wait);
                resolve();
              }
            }, 5);
            return;
          }
          const due = Math.floor((elapsed / 1000) * rate) - sent - failed - inflight;
          for (let k = 0; k < due && inflight < 256; k++) {
            const name = `cm-${i++ % keys}`;
            inflight++;
            client
              .patch(CM, name, { data: { t: String(stamp()) } }, { namespace: 'bench' })
              .then(() => sent++, () => failed++)
              .finally(() => inflight--);
          }
        }, 2);
      });
      say({ churned: sent, failed, seconds: (performance.now() - t0) / 1000 });
    }
  }
  client.close();
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'server') await server();
else if (mode === 'relay') await relay();
else if (mode === 'writer') await writer(arg);
else {
  console.error('usage: _reconcile-child.js server | relay | writer <kubeconfigPath>');
  process.exit(2);
}
