/**
 * Node labels and taints of a scaling group travel in the scaling configuration's user
 * data, the way ACK does it: a bootstrap script (base64 in the API) that passes kubelet
 * flags, e.g.
 *   #!/bin/bash
 *   /usr/local/bin/kubeloop-join --node-labels=workload=gpu,team=a --register-with-taints=gpu=true:NoSchedule
 * Both `--flag=value` and `--flag value` forms are read, quoted or not.
 */
import type { Taint } from './types.js';

/** Decodes base64 user data (plain text that already starts with `#!` is kept). */
export function decodeUserDataText(userData: string): string {
  if (!userData) return '';
  if (userData.startsWith('#!')) return userData;
  const text = Buffer.from(userData, 'base64').toString('utf8');
  return text;
}

export function parseKubeletFlags(script: string): { labels: Record<string, string>; taints: Taint[] } {
  const flag = (name: string): string | undefined => new RegExp(`--${name}[= ]["']?([^\\s"']+)`).exec(script)?.[1];
  const labels: Record<string, string> = {};
  for (const kv of (flag('node-labels') ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i > 0) labels[kv.slice(0, i)] = kv.slice(i + 1);
    else labels[kv] = '';
  }
  const taints: Taint[] = [];
  for (const t of (flag('register-with-taints') ?? '').split(',').filter(Boolean)) {
    const c = t.lastIndexOf(':');
    if (c < 0) continue;
    const kv = t.slice(0, c);
    const e = kv.indexOf('=');
    taints.push(e >= 0 ? { key: kv.slice(0, e), value: kv.slice(e + 1), effect: t.slice(c + 1) } : { key: kv, effect: t.slice(c + 1) });
  }
  return { labels, taints };
}

/** The inverse, for tools that create scaling configurations. */
export function buildUserData(labels: Record<string, string>, taints: Taint[], command = '/usr/local/bin/kubeloop-join'): string {
  const flags: string[] = [];
  const l = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  if (l) flags.push(`--node-labels=${l}`);
  const t = taints.map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`).join(',');
  if (t) flags.push(`--register-with-taints=${t}`);
  return Buffer.from(`#!/bin/bash\n${command} ${flags.join(' ')}\n`, 'utf8').toString('base64');
}
