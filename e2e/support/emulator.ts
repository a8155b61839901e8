/** The cloud emulator's test endpoints (`/_sim/...`), called as a user would with fetch. */
import type { CloudSim } from '@kubeloop/ack/cloudsim';

/** Sets fault rules (POST /_sim/faults); `null` clears them (DELETE). */
export async function setFaults(cloud: Pick<CloudSim, 'url'>, rules: unknown): Promise<void> {
  const res = await fetch(`${cloud.url}/_sim/faults`, { method: rules === null ? 'DELETE' : 'POST', body: rules === null ? undefined : JSON.stringify(rules), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`/_sim/faults: ${res.status} ${await res.text()}`);
}

/**
 * Creates or replaces RAM policy `name` with `document` and attaches it to a user or a role
 * (PUT /_sim/ram/{users|roles}/{name}/policies/{policy}).
 */
export async function setRamPolicy(cloud: Pick<CloudSim, 'url'>, to: { user: string } | { role: string }, name: string, document: unknown): Promise<void> {
  const principal = 'user' in to ? `users/${encodeURIComponent(to.user)}` : `roles/${encodeURIComponent(to.role)}`;
  const res = await fetch(`${cloud.url}/_sim/ram/${principal}/policies/${encodeURIComponent(name)}`, { method: 'PUT', body: JSON.stringify(document), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`/_sim/ram: ${res.status} ${await res.text()}`);
}

/** Deletes RAM policy `name`, detaching it everywhere (DELETE /_sim/ram/policies/{name}). */
export async function deleteRamPolicy(cloud: Pick<CloudSim, 'url'>, name: string): Promise<void> {
  const res = await fetch(`${cloud.url}/_sim/ram/policies/${encodeURIComponent(name)}`, { method: 'DELETE' });
  if (!res.ok) throw new Error(`/_sim/ram: ${res.status} ${await res.text()}`);
}

/** Calls per action since the last reset (GET /_sim/calls); `reset` also resets them (DELETE). */
export async function cloudCalls(cloud: Pick<CloudSim, 'url'>, reset = false): Promise<Record<string, number>> {
  const res = await fetch(`${cloud.url}/_sim/calls`, { method: reset ? 'DELETE' : 'GET' });
  return ((await res.json()) as { calls: Record<string, number> }).calls;
}

/** The /_sim/state document. */
export async function simState(cloud: Pick<CloudSim, 'url'>): Promise<any> {
  const res = await fetch(`${cloud.url}/_sim/state`);
  return res.json();
}

/** The standard Alibaba Cloud credential variables for the emulator (region, AccessKey pair). */
export function credentialEnv(cloud: CloudSim): Record<string, string> {
  return {
    ALIBABA_CLOUD_REGION_ID: cloud.regionId,
    ALIBABA_CLOUD_ACCESS_KEY_ID: cloud.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: cloud.accessKeySecret,
  };
}
