// Child processes of bench/startup.ts:
//   floor <port> <certFile> <keyFile>  a bare Node https server answering every request with
//                                      "ok": the floor a start-to-/readyz figure is compared to
//   testenv                            startTestEnv() from kubeloop/testing, twice in one process,
//                                      against a bare https server started in-process the same way;
//                                      prints one JSON line of milliseconds
import { readFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';


function listen(cert: string, key: string, port: number): Promise<Server> {
  const s = createServer({ cert, key }, (_req, res) => res.end('ok'));
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}

/** TLS credentials of a poll: the CA to trust and a client certificate (a kubeconfig's admin). */
export interface Credentials { ca?: string; cert?: string; key?: string }

/** The CA and client certificate embedded in a kubeconfig file's text. */
export function kubeconfigCredentials(text: string): Credentials {
  const field = (name: string) => {
    const m = new RegExp(`${name}: (\\S+)`).exec(text);
    return m ? Buffer.from(m[1], 'base64').toString() : undefined;
  };
  return { ca: field('certificate-authority-data'), cert: field('client-certificate-data'), key: field('client-key-data') };
}

/** One GET /readyz over a new TLS connection (as a client's first request); the status code, 0 when it could not connect. */
export function readyz(url: string, creds: Credentials = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = get(`${url}/readyz`, { agent: false, ...creds, ...(creds.ca ? {} : { rejectUnauthorized: false }) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

async function floor(port: number, certFile: string, keyFile: string): Promise<void> {
  await listen(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), port);
  process.on('SIGTERM', () => process.exit(0));
}

async function testenv(): Promise<void> {
  const t0 = performance.now();
  // by the package's name, as an operator's tests import it: its bundle (scripts/bundle-packages.mjs)
  const testing = await import('kubeloop/testing');
  const t1 = performance.now();
  const first = await testing.startTestEnv();
  if ((await readyz(first.server.url, kubeconfigCredentials(first.kubeconfig))) !== 200) throw new Error('not ready');
  const t2 = performance.now();
  await first.stop();
  const t3 = performance.now();
  const second = await testing.startTestEnv();
  if ((await readyz(second.server.url, kubeconfigCredentials(second.kubeconfig))) !== 200) throw new Error('not ready');
  const t4 = performance.now();
  await second.stop();
  // the floor: a bare https server with the same kind of certificate, started and asked once
  const { generatePki } = await import('kubeloop/apiserver');
  const pki = generatePki();
  const t5 = performance.now();
  const bare = await listen(pki.server.certPem, pki.server.keyPem, 0);
  if ((await readyz(`https://127.0.0.1:${(bare.address() as AddressInfo).port}`)) !== 200) throw new Error('floor not ready');
  const t6 = performance.now();
  bare.close();
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, firstStartMs: t2 - t1, secondStartMs: t4 - t3, floorMs: t6 - t5 }) + '\n');
}

const [mode, ...args] = process.argv.slice(2);
if (import.meta.url !== pathToFileURL(process.argv[1]).href) {
  // imported by bench/startup.ts for readyz(): nothing to run
} else if (mode === 'floor') await floor(Number(args[0]), args[1], args[2]);
else if (mode === 'testenv') {
  await testenv();
  process.exit(0);
} else {
  process.stderr.write('usage: _startup-child.js floor <port> <cert> <key> | testenv\n');
  process.exit(2);
}
