/**
 * Image pulls as a kubelet (containerd) does them against a Docker Registry v2: resolve the
 * manifest, answer the registry's Bearer challenge with the pod's pull credentials (or
 * anonymously), fetch the manifest with the token. Only registries of the cloud emulator are
 * contacted (their domains resolve to the emulator); other images "pull" at once, since no
 * real registry is reachable from a simulated node.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { LookupFunction } from 'node:net';

export interface ImageRef {
  /** registry host[:port] ("docker.io" when none is given) */
  host: string;
  /** repository path ("library/nginx") */
  repository: string;
  /** tag or digest */
  reference: string;
  /** the reference as written in the pod */
  raw: string;
}

export function parseImageRef(image: string): ImageRef {
  const raw = image;
  if (!image || /\s/.test(image)) throw new Error(`invalid image reference "${image}"`);
  let rest = image;
  let host = 'docker.io';
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      host = first.toLowerCase();
      rest = rest.slice(slash + 1);
    }
  }
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (host === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (!rest) throw new Error(`invalid image reference "${image}"`);
  return { host, repository: rest, reference, raw };
}

/** Credentials for a registry host, as found in a dockerconfigjson Secret. */
export interface RegistryAuth { username: string; password: string }

/** Reads `auths` of a `.dockerconfigjson` (or the bare map of a legacy `.dockercfg`). */
export function parseDockerConfig(json: string): Map<string, RegistryAuth> {
  const out = new Map<string, RegistryAuth>();
  let doc: Record<string, unknown>;
  try { doc = JSON.parse(json) as Record<string, unknown>; } catch { return out; }
  const auths = (doc.auths && typeof doc.auths === 'object' ? doc.auths : doc) as Record<string, { username?: string; password?: string; auth?: string }>;
  for (const [key, v] of Object.entries(auths)) {
    if (!v || typeof v !== 'object') continue;
    let { username, password } = v;
    if ((!username || password === undefined) && v.auth) {
      const dec = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i > 0) { username = dec.slice(0, i); password = dec.slice(i + 1); }
    }
    if (!username || password === undefined) continue;
    const host = key.replace(/^https?:\/\//, '').split('/')[0].toLowerCase();
    out.set(host, { username, password });
  }
  return out;
}

export interface PullResult { digest: string; imageID: string }

export class PullError extends Error {
  override readonly name = 'PullError';
}

interface HttpReply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/**
 * Pulls (resolves) images. `registries()` returns the emulated registry domains mapped to
 * the address that serves them.
 */
export class ImagePuller {
  constructor(private readonly registries: () => Promise<Map<string, { host: string; port: number }>>) {}

  async pull(image: string, auths: Map<string, RegistryAuth>, signal?: AbortSignal): Promise<PullResult> {
    const ref = parseImageRef(image);
    const target = (await this.registries()).get(ref.host);
    if (!target) {
      // not an emulated registry: pretend the layers were cached
      const digest = ref.reference.startsWith('sha256:') ? ref.reference : `sha256:${createHash('sha256').update(ref.raw).digest('hex')}`;
      return { digest, imageID: `${ref.host}/${ref.repository}@${digest}` };
    }
    const lookup: LookupFunction = (_h, opts, cb) => {
      if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.host, family: 4 }]);
      else cb(null, target.host, 4);
    };
    const get = (url: string, headers: Record<string, string>): Promise<HttpReply> => new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', headers, lookup, signal, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('i/o timeout')));
      req.on('error', reject);
      req.end();
    });
    const base = `http://${ref.host}`;
    const manifestUrl = `${base}/v2/${ref.repository}/manifests/${ref.reference}`;
    const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
    const fail = (detail: string) => new PullError(`failed to pull and unpack image "${ref.raw}": failed to resolve reference "${ref.raw}": ${detail}`);
    let res: HttpReply;
    try {
      res = await get(manifestUrl, { accept });
      if (res.status === 401) {
        const challenge = String(res.headers['www-authenticate'] ?? '');
        const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        if (!/^Bearer/i.test(challenge) || !params.realm) throw fail(`unexpected challenge "${challenge}"`);
        const tokenUrl = new URL(params.realm);
        if (params.service) tokenUrl.searchParams.set('service', params.service);
        tokenUrl.searchParams.set('scope', `repository:${ref.repository}:pull`);
        const cred = auths.get(ref.host);
        const headers: Record<string, string> = {};
        if (cred) headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
        const tok = await get(tokenUrl.toString(), headers);
        if (tok.status !== 200) {
          throw fail(`failed to authorize: failed to fetch ${cred ? 'oauth' : 'anonymous'} token: unexpected status from GET request to ${tokenUrl}: ${tok.status} ${registryError(tok.body, 'unauthorized')}`);
        }
        const { token, access_token } = JSON.parse(tok.body) as { token?: string; access_token?: string };
        res = await get(manifestUrl, { accept, authorization: `Bearer ${token ?? access_token}` });
      }
    } catch (err) {
      if (err instanceof PullError) throw err;
      throw fail(`failed to do request: ${(err as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw fail(`pull access denied, repository does not exist or may require authorization: ${registryError(res.body, 'unauthorized')}`);
    }
    if (res.status === 404) throw fail(`${ref.raw}: not found`);
    if (res.status !== 200) throw fail(`unexpected status ${res.status}: ${registryError(res.body, 'error')}`);
    const digest = String(res.headers['docker-content-digest'] ?? `sha256:${createHash('sha256').update(res.body).digest('hex')}`);
    return { digest, imageID: `${ref.host}/${ref.repository}@${digest}` };
  }
}

/** "unauthorized: authentication required" from a registry error body. */
function registryError(body: string, fallback: string): string {
  try {
    const e = (JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
    if (e) return `${(e.code ?? fallback).toLowerCase()}: ${e.message ?? ''}`.trim();
  } catch { /* not JSON */ }
  return fallback;
}

/** Domains of the emulator's registries (`{port}` filled in), read from its inspection API. */
export function emulatorRegistries(cloudUrl: string, ttlMs = 5_000): () => Promise<Map<string, { host: string; port: number }>> {
  let cached: { at: number; map: Map<string, { host: string; port: number }> } | undefined;
  const u = new URL(cloudUrl);
  const target = { host: u.hostname === 'localhost' ? '127.0.0.1' : u.hostname, port: Number(u.port || 80) };
  return async () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.map;
    const res = await fetch(new URL('/_sim/state', cloudUrl));
    if (!res.ok) throw new Error(`cloud emulator state: HTTP ${res.status}`);
    const st = (await res.json()) as { registries?: Array<{ domains?: string[]; vpcDomains?: string[] }> };
    const map = new Map<string, { host: string; port: number }>();
    for (const r of st.registries ?? []) {
      for (const d of [...(r.domains ?? []), ...(r.vpcDomains ?? [])]) map.set(d.replace('{port}', String(target.port)).toLowerCase(), target);
    }
    cached = { at: Date.now(), map };
    return map;
  };
}
