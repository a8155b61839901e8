// Child processes of bench/reconcile.ts, so the API server and the load writer do not share
// a CPU with the manager under test: `server` and `writer <kubeconfigPath>`. JSON lines on
// stdout, commands as lines on stdin.
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
else if (mode === 'writer') await writer(arg);
else {
  console.error('usage: _reconcile-child.js server | writer <kubeconfigPath>');
  process.exit(2);
}
