/**
 * Test support for suites that call the cloud emulator (controllers/cloudsim) through this
 * package's clients: a client pointed at an emulator, the CloudError a refused call throws,
 * and a raw call of the emulator's own `/_sim/` API. Used by *.test.ts files only; the
 * emulator is described by its endpoint and keys (structurally), so this module imports
 * nothing from controllers/cloudsim.
 */
import assert from 'node:assert/strict';
import { CloudError } from './errors.js';
import { createAlibabaCloud, type AlibabaCloud } from './factory.js';
import type { RetryPolicy } from './retry.js';

/** What a client needs of a running emulator (`CloudSim` has it). */
export interface EmulatorEndpoint {
  url: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/**
 * A client of `sim` with the emulator's AccessKey and the given retry policy (tests keep it
 * short); `over` replaces any other option (credentials of another RAM user, a region...).
 */
export function emulatorCloud(sim: EmulatorEndpoint, retry: Partial<RetryPolicy>, over: Partial<Parameters<typeof createAlibabaCloud>[0]> = {}): AlibabaCloud {
  return createAlibabaCloud({
    regionId: sim.regionId, emulator: sim.url, retry,
    credentials: { accessKeyId: sim.accessKeyId, accessKeySecret: sim.accessKeySecret }, ...over,
  });
}

/** The CloudError `p` is refused with; fails the test if it resolves or throws anything else. */
export async function cloudFailure(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CloudError, `expected CloudError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to be refused');
}

/**
 * A request to the emulator's own API (`/_sim/...`: fault switches, RAM policies, instance
 * boots), answered as status and JSON. A string body is sent as is, anything else as JSON.
 */
export async function simCall(sim: Pick<EmulatorEndpoint, 'url'>, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(`${sim.url}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

/** What the instance helpers need of a running emulator: its URL and its live state. */
export interface EmulatorWithInstances {
  url: string;
  state: { instances: Array<{ instanceId: string; status?: string; removesAt?: number }> };
}

/** Sets `field` to 0 (now) on the instances of `ids` that `pick` accepts, through `/_sim/state`. */
async function nowFor(sim: EmulatorWithInstances, ids: string[], pick: (i: EmulatorWithInstances['state']['instances'][number]) => boolean, field: string): Promise<void> {
  const ops = ids
    .map((id) => sim.state.instances.findIndex((i) => i.instanceId === id && pick(i)))
    .filter((n) => n >= 0)
    .map((n) => ({ op: 'add', path: `/instances/${n}/${field}`, value: 0 }));
  const r = await simCall(sim, 'PATCH', '/_sim/state', ops);
  assert.equal(r.status, 200, JSON.stringify(r.json));
}

/** Lets these Pending instances boot now (for groups whose instances never boot by themselves). */
export function bootInstances(sim: EmulatorWithInstances, ids: string[]): Promise<void> {
  return nowFor(sim, ids, (i) => i.status === 'Pending', 'bootsAt');
}

/** Lets these Removing instances leave now (for emulators whose removals wait: a long removeDelayMs). */
export function finishRemovals(sim: EmulatorWithInstances, ids: string[]): Promise<void> {
  return nowFor(sim, ids, (i) => i.removesAt !== undefined, 'removesAt');
}
