// Child processes of bench/apiserver.ts, so the server under test, its floor and the load
// generator each have their own event loop. JSON lines on stdout, commands as lines on stdin.
//
//   server [dataDir]          kubeloop's API server (memory store, or the write-ahead log in
//                             dataDir); commands: `cpu` -> {cpuUs, sleeps} (sleeps: the
//                             process's voluntary context switches so far, i.e. how often it
//                             waited for work), `fill <ns> <n>` -> {filled}
//   floor <certDir>           a bare Node https server with the same TLS set-up (client
//                             certificates of the same CA requested): POST/PUT/PATCH echo the
//                             parsed JSON body with 201/200, GET answers the bytes last given
//                             with `serve <file>`; commands: `cpu`, `serve <file>`
//   load <kubeconfig> <method> <path> <n> <concurrency> [contentType]
//                             n requests through kubeloop's Transport (src/client/transport.ts:
//                             one keep-alive agent, one TLS context), `{i}` in the path and body
//                             replaced by the request number; POST a ConfigMap cm-{i} (to
//                             .../namespaces: a Namespace bench-{i}), else a merge patch of its
//                             data; prints {seconds, cpuUs} (cpuUs: its own CPU time meanwhile)
//   get <kubeconfig> <path> <runs> [outFile]
//                             `runs` GETs, one after another; prints {ms: [...], bytes}; the
//                             last body is written to outFile when given
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

async function commands(handle: (cmd: string, args: string[]) => Promise<void> | void): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    if (cmd === 'cpu') say({ cpuUs: cpuUs(), sleeps: process.resourceUsage().voluntaryContextSwitches });
    else await handle(cmd, args);
  }
}

async function server(dataDir?: string): Promise<void> {
  const { startApiServer } = (await import(pathToFileURL(join(here, '..', 'src', 'apiserver', 'index.js')).href)) as typeof import('../src/apiserver/index.js');
  const s = await startApiServer({ port: 0, dataDir });
  say({ url: s.url, kubeconfigPath: s.kubeconfigPath, caPem: s.caPem });
  await commands(async (cmd, args) => {
    if (cmd === 'fill') {
      const [ns, n] = [args[0], Number(args[1])];
      const t = s.registry.get('', 'v1', 'configmaps')!;
      const nsType = s.registry.get('', 'v1', 'namespaces')!;
      await s.ops.create(nsType, undefined, { metadata: { name: ns } });
      for (let i = 0; i < n; i++) {
        await s.ops.create(t, ns, { metadata: { name: `cm-${String(i).padStart(6, '0')}`, labels: { app: 'bench', shard: String(i % 16) } }, data: { key: `value-${i}`, other: 'x'.repeat(64) } });
      }
      say({ filled: n });
    }
  });
  await s.stop();
}

async function floor(certDir: string): Promise<void> {
  const read = (f: string) => readFileSync(join(certDir, f), 'utf8');
  let served = Buffer.from('{}');
  const s = createServer({ cert: read('tls.crt'), key: read('tls.key'), ca: read('ca.crt'), requestCert: true, rejectUnauthorized: false }, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': served.length });
      res.end(served);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  say({ url: `https://127.0.0.1:${(s.address() as AddressInfo).port}` });
  await commands((cmd, args) => {
    if (cmd === 'serve') {
      served = readFileSync(args[0]);
      say({ serving: served.length });
    }
  });
  s.close();
}

async function transport(kubeconfig: string) {
  const { Transport, loadKubeConfig } = (await import(pathToFileURL(join(here, '..', 'src', 'client', 'index.js')).href)) as typeof import('../src/client/index.js');
  return new Transport(loadKubeConfig({ path: kubeconfig }));
}

async function load(kubeconfig: string, method: string, path: string, n: number, concurrency: number, contentType = 'application/json'): Promise<void> {
  const t = await transport(kubeconfig);
  const bodyOf = (i: number) =>
    path.endsWith('/namespaces')
      ? JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${i}` } })
      : method === 'POST'
      ? JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'bench' } }, data: { key: `value-${i}` } })
      : JSON.stringify({ data: { n: String(i) } });
  // one request first, so the connection set-up is not part of the figure
  await t.request({ method: 'GET', path: '/readyz' }).catch(() => undefined);
  let next = 0;
  const c0 = cpuUs();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const r = await t.request({ method, path: path.replaceAll('{i}', String(i)), body: bodyOf(i), contentType });
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString()}`);
    }
  }));
  say({ seconds: (performance.now() - t0) / 1000, cpuUs: cpuUs() - c0 });
  t.close();
}

async function get(kubeconfig: string, path: string, runs: number, outFile?: string): Promise<void> {
  const t = await transport(kubeconfig);
  await t.request({ method: 'GET', path: '/readyz' }).catch(() => undefined);
  const ms: number[] = [];
  let body: Buffer = Buffer.alloc(0);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await t.request({ method: 'GET', path });
    ms.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
    body = r.body;
  }
  if (outFile) writeFileSync(outFile, body);
  say({ ms, bytes: body.length });
  t.close();
}

const [mode, ...args] = process.argv.slice(2);
switch (mode) {
  case 'server': await server(args[0]); break;
  case 'floor': await floor(args[0]); break;
  case 'load': await load(args[0], args[1], args[2], Number(args[3]), Number(args[4]), args[5]); break;
  case 'get': await get(args[0], args[1], Number(args[2]), args[3]); break;
  default:
    process.stderr.write('usage: _apiserver-child.js server [dataDir] | floor <certDir> | load ... | get ...\n');
    process.exit(2);
}
process.exit(0);
