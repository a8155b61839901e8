/**
 * Fetches an image manifest the way a container runtime does, so the simulated kubelet
 * can "pull images" with a pod's imagePullSecrets:
 *   1. GET https://<registry>/v2/                 -> 401 + `WWW-Authenticate: Bearer realm,service`
 *   2. GET <realm>?service=..&scope=repository:<repo>:pull   (Basic auth from the docker config)
 *   3. GET /v2/<repo>/manifests/<tag|digest> with `Authorization: Bearer <token>`
 * Registries under the emulator's reserved suffix (`*.kubeloop.local`), `localhost` and
 * 127.0.0.1 are spoken to over plain HTTP, everything else over HTTPS.
 */
import http from 'node:http';
import https from 'node:https';
import { emulatorLookup, resolveSuffixToLoopback, EMULATOR_DNS_SUFFIX } from './emulator-dns.js';

/** `auths` of a `kubernetes.io/dockerconfigjson` Secret. */
export type DockerConfigAuths = Record<string, { username?: string; password?: string; auth?: string }>;

export type PullFailure = 'InvalidImageName' | 'Unauthorized' | 'NotFound' | 'Unavailable';

export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  constructor(readonly reason: PullFailure, message: string, readonly status?: number) {
    super(message);
  }
}

export interface ImageReference {
  registry: string;
  repository: string;
  /** tag or digest */
  reference: string;
}

/** Parses `registry/ns/name[:tag|@digest]`; the registry part is required (no Docker Hub default). */
export function parseImageReference(image: string): ImageReference {
  const at = image.indexOf('@');
  let rest = at >= 0 ? image.slice(0, at) : image;
  let reference = at >= 0 ? image.slice(at + 1) : '';
  const slash = rest.indexOf('/');
  if (slash < 0) throw new ImagePullError('InvalidImageName', `image "${image}" has no registry host`);
  const registry = rest.slice(0, slash);
  if (!registry.includes('.') && !registry.includes(':') && registry !== 'localhost') {
    throw new ImagePullError('InvalidImageName', `image "${image}" has no registry host`);
  }
  rest = rest.slice(slash + 1);
  if (!reference) {
    const colon = rest.lastIndexOf(':');
    if (colon > 0 && !rest.slice(colon).includes('/')) { reference = rest.slice(colon + 1); rest = rest.slice(0, colon); }
    else reference = 'latest';
  }
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(rest)) {
    throw new ImagePullError('InvalidImageName', `image "${image}" has an invalid repository name`);
  }
  return { registry, repository: rest, reference };
}

function isLocal(host: string): boolean {
  const h = host.replace(/:\d+$/, '').toLowerCase();
  return h === 'localhost' || h === '127.0.0.1' || h === EMULATOR_DNS_SUFFIX || h.endsWith(`.${EMULATOR_DNS_SUFFIX}`);
}

interface Resp { status: number; headers: http.IncomingHttpHeaders; body: string }

function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method: 'GET', headers, lookup: emulatorLookup as never, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new ImagePullError('Unavailable', `GET ${url}: ${err.message}`)));
    req.end();
  });
}

function parseChallenge(h: string | undefined): { realm: string; service?: string } | undefined {
  if (!h || !/^Bearer\s/i.test(h)) return undefined;
  const params: Record<string, string> = {};
  for (const m of h.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return params.realm ? { realm: params.realm, service: params.service } : undefined;
}

/** Finds the credentials for a registry host in docker config `auths` (keys may carry a scheme or path). */
export function credentialsFor(auths: DockerConfigAuths | undefined, registry: string): { username: string; password: string } | undefined {
  for (const [key, v] of Object.entries(auths ?? {})) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (host !== registry) continue;
    if (v.username !== undefined && v.password !== undefined) return { username: v.username, password: v.password };
    if (v.auth) {
      const decoded = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i >= 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
  }
  return undefined;
}

export interface PulledManifest {
  image: string;
  digest: string;
  mediaType: string;
  manifest: unknown;
}

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** Runs the registry token flow and returns the manifest; throws ImagePullError. */
export async function pullManifest(image: string, auths?: DockerConfigAuths, opts: { timeoutMs?: number } = {}): Promise<PulledManifest> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const ref = parseImageReference(image);
  if (isLocal(ref.registry)) resolveSuffixToLoopback();
  const base = `${isLocal(ref.registry) ? 'http' : 'https'}://${ref.registry}`;
  const manifestUrl = `${base}/v2/${ref.repository}/manifests/${encodeURIComponent(ref.reference).replace(/%3A/g, ':')}`;

  const cred = credentialsFor(auths, ref.registry);
  const bearerFor = async (challengeHeader: string | undefined): Promise<string> => {
    const ch = parseChallenge(challengeHeader);
    if (!ch) throw new ImagePullError('Unauthorized', `${ref.registry} asks for authentication this client does not speak`, 401);
    const tokenUrl = new URL(ch.realm);
    if (ch.service) tokenUrl.searchParams.set('service', ch.service);
    tokenUrl.searchParams.set('scope', `repository:${ref.repository}:pull`);
    const headers: Record<string, string> = {};
    if (cred) headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    const tok = await get(tokenUrl.toString(), headers, timeoutMs);
    if (tok.status === 401 || tok.status === 403) throw new ImagePullError('Unauthorized', `pull access denied for ${image}: the registry refused the credentials`, tok.status);
    if (tok.status !== 200) throw new ImagePullError('Unavailable', `token endpoint answered ${tok.status}`, tok.status);
    let token: string | undefined;
    try { const b = JSON.parse(tok.body); token = b.token ?? b.access_token; } catch { /* below */ }
    if (!token) throw new ImagePullError('Unavailable', 'token endpoint returned no token');
    return `Bearer ${token}`;
  };

  // 1. ping: a registry that wants tokens answers 401 with its realm
  let authorization: string | undefined;
  const ping = await get(`${base}/v2/`, {}, timeoutMs);
  if (ping.status === 401) authorization = await bearerFor(ping.headers['www-authenticate'] as string | undefined);
  else if (ping.status >= 500 || ping.status === 0) throw new ImagePullError('Unavailable', `${ref.registry} answered ${ping.status}`, ping.status);

  // 2. the manifest; a registry that allowed the anonymous ping may still challenge here
  let res = await get(manifestUrl, { accept: ACCEPT, ...(authorization ? { authorization } : {}) }, timeoutMs);
  if (res.status === 401 && !authorization && res.headers['www-authenticate']) {
    authorization = await bearerFor(res.headers['www-authenticate'] as string);
    res = await get(manifestUrl, { accept: ACCEPT, authorization }, timeoutMs);
  }
  if (res.status === 401 || res.status === 403) throw new ImagePullError('Unauthorized', `pull access denied for ${image}, repository does not exist or may require authorization`, res.status);
  if (res.status === 404) throw new ImagePullError('NotFound', `manifest for ${image} not found`, 404);
  if (res.status !== 200) throw new ImagePullError('Unavailable', `GET manifest answered ${res.status}`, res.status);
  let manifest: unknown;
  try { manifest = JSON.parse(res.body); } catch { throw new ImagePullError('Unavailable', 'the manifest is not JSON'); }
  return {
    image,
    digest: String(res.headers['docker-content-digest'] ?? ''),
    mediaType: String(res.headers['content-type'] ?? ''),
    manifest,
  };
}
