/**
 * The cloud emulator as a fuzz target: started in this process (a crash would take the runner
 * down, as it took `kubeloop cloudsim` and `kubeloop dev` down), spoken to over plain HTTP like
 * the Alibaba SDKs speak to it. No 5xx is expected: the emulator answers a 5xx only for injected
 * faults, which the generator never sets up.
 */
import { startCloudSim, type CloudSim } from '@kubeloop/ack/cloudsim';
import type { Rng } from '../rng.js';
import type { Endpoint, FuzzRequest, FuzzResponse, FuzzTarget } from '../target.js';
import { generateRequest, type CloudFuzzContext } from './generate.js';

export class CloudSimTarget implements FuzzTarget {
  readonly name = 'cloudsim';
  private sim?: CloudSim;
  private ctx?: CloudFuzzContext;

  async start(): Promise<Endpoint> {
    this.sim = await startCloudSim({ port: 0, timings: { bootDelayMs: 10 } });
    return { url: this.sim.url };
  }

  async setup(): Promise<void> {
    const sim = this.sim!;
    // a copy of the starting state, for PUT /_sim/state documents mutated from a real one
    this.ctx = { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret, regionId: sim.regionId, slsSuffix: sim.slsEndpoint.replace(/:\d+$/, ''), state: structuredClone(sim.state) };
  }

  generate(rng: Rng): FuzzRequest {
    return generateRequest(rng, this.ctx!);
  }

  expected5xx(): boolean {
    return false;
  }

  /** Puts the starting state back through the /_sim API, so memory is compared without what the fuzzing created. */
  async settle(send: (req: FuzzRequest) => Promise<FuzzResponse>): Promise<void> {
    const r = await send({ method: 'PUT', path: '/_sim/state', headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(this.ctx!.state)), label: 'settle' });
    if (r.status !== 200) throw new Error(`fuzz settle: the starting state was refused: ${r.status} ${r.body}`);
  }

  async stop(): Promise<void> {
    await this.sim?.stop();
  }
}
