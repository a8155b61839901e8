/**
 * The built-in API server as a fuzz target: started in this process (crashes and memory are
 * visible to the runner) with the admin client certificate, a small watch history (a bounded
 * cache that would otherwise hide leaks under its own growth) and the fuzz namespaces and CRD.
 */
import { type ApiServer, startApiServer } from '../../../src/apiserver/index.js';
import type { Rng } from '../rng.js';
import type { Endpoint, FuzzRequest, FuzzResponse, FuzzTarget } from '../target.js';
import { crd, NAMESPACES } from './corpus.js';
import { generateRequest } from './generate.js';

function credentials(kubeconfig: string): { cert: string; key: string } {
  const field = (name: string) => Buffer.from(new RegExp(`${name}: (\\S+)`).exec(kubeconfig)![1], 'base64').toString();
  return { cert: field('client-certificate-data'), key: field('client-key-data') };
}

const json = (method: string, path: string, doc: unknown): FuzzRequest => ({
  method, path, headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(doc)), label: 'setup',
});

export class ApiServerTarget implements FuzzTarget {
  readonly name = 'apiserver';
  private server?: ApiServer;
  /** Objects present after setup (`storageKey\0key`); settle removes the others. */
  private baseline = new Set<string>();

  async start(): Promise<Endpoint> {
    this.server = await startApiServer({ port: 0, historySize: 1000, bookmarkIntervalMs: 200 });
    return { url: this.server.url, ca: this.server.caPem, ...credentials(this.server.kubeconfig) };
  }

  async setup(send: (req: FuzzRequest) => Promise<FuzzResponse>): Promise<void> {
    for (const ns of NAMESPACES) await send(json('POST', '/api/v1/namespaces', { metadata: { name: ns } }));
    const r = await send(json('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('widgets')));
    if (r.status !== 201) throw new Error(`fuzz setup: CRD not created: ${r.status} ${r.body}`);
    // Served once the CRD controller has established it.
    for (let i = 0; i < 100 && (await send({ method: 'GET', path: '/apis/fuzz.example.com/v1/widgets', headers: {}, label: 'setup' })).status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 20));
    }
    this.baseline = new Set([...this.server!.store.entries()].map(([storageKey, key]) => `${storageKey}\0${key}`));
  }

  generate(rng: Rng): FuzzRequest {
    return generateRequest(rng);
  }

  /** kube-apiserver answers a list or get at a resourceVersion ahead of its own with 504 Timeout ("Too large resource version"). */
  expected5xx(req: FuzzRequest, res: FuzzResponse): boolean {
    return res.status === 504 && /[?&]resourceVersion=/.test(req.path) && /"reason":"Timeout"/.test(res.body) && /Too large resource version/.test(res.body);
  }

  /**
   * Removes every object the fuzzing created (straight from the store: finalizers and
   * namespaces would otherwise keep some) and drops the watch history, whose size is
   * configuration rather than a leak. What stays is the server's own memory.
   */
  async settle(): Promise<void> {
    const store = this.server!.store;
    for (const [storageKey, key, s] of [...store.entries()]) {
      if (!this.baseline.has(`${storageKey}\0${key}`)) store.remove(storageKey, key, s.obj);
    }
    store.compact();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
