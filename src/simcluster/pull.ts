/**
 * Image pulls as a kubelet (containerd) does them: for registries of the cloud emulator the
 * Docker Registry v2 token flow runs with the pod's pull credentials (through the
 * `ManifestPuller` the cloud's owner supplies in `SimCloudOptions.pullManifest`, e.g.
 * `@kubeloop/ack`'s registry client); other images "pull" at once, since no real registry is
 * reachable from a simulated node.
 */
import { createHash } from 'node:crypto';
import { emulatorJson } from './emulator-http.js';

/** `auths` of a `kubernetes.io/dockerconfigjson` Secret. */
export type DockerConfigAuths = Record<string, { username?: string; password?: string; auth?: string }>;

/**
 * Resolves an image's manifest with the given credentials, as a container runtime does. A
 * refusal throws an Error whose `reason` is `'Unauthorized'` or `'NotFound'` (any other error
 * is reported as it is).
 */
export type ManifestPuller = (image: string, auths: DockerConfigAuths) => Promise<{ digest: string }>;

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

/** `auths` of a `.dockerconfigjson` (or the bare map of a legacy `.dockercfg`); {} when unreadable. */
export function parseDockerConfig(json: string): DockerConfigAuths {
  let doc: Record<string, unknown>;
  try { doc = JSON.parse(json) as Record<string, unknown>; } catch { return {}; }
  const auths = doc.auths && typeof doc.auths === 'object' ? doc.auths : doc;
  return auths as DockerConfigAuths;
}

export interface PullResult { digest: string; imageID: string }

/** A failed pull, worded like containerd's errors that the kubelet reports. */
export class PullError extends Error {
  override readonly name = 'PullError';
}

/**
 * Pulls (resolves) images. `registries()` returns the emulated registry hosts; only those are
 * contacted (through `pullManifest`), every other image is "already cached" — as are all
 * images when no `pullManifest` is given.
 */
export class ImagePuller {
  constructor(
    private readonly registries: () => Promise<Set<string>>,
    private readonly pullManifest?: ManifestPuller,
  ) {}

  async pull(image: string, auths: DockerConfigAuths): Promise<PullResult> {
    const ref = parseImageRef(image);
    if (!this.pullManifest || !(await this.registries()).has(ref.host)) {
      const digest = ref.reference.startsWith('sha256:') ? ref.reference : `sha256:${createHash('sha256').update(ref.raw).digest('hex')}`;
      return { digest, imageID: `${ref.host}/${ref.repository}@${digest}` };
    }
    try {
      const m = await this.pullManifest(image, auths);
      return { digest: m.digest, imageID: `${ref.host}/${ref.repository}@${m.digest}` };
    } catch (err) {
      const prefix = `failed to pull and unpack image "${image}": failed to resolve reference "${image}"`;
      const reason = (err as { reason?: unknown }).reason;
      if (reason === 'Unauthorized') throw new PullError(`${prefix}: pull access denied, repository does not exist or may require authorization: unauthorized: ${(err as Error).message}`);
      if (reason === 'NotFound') throw new PullError(`${prefix}: ${image}: not found`);
      throw new PullError(`${prefix}: ${(err as Error).message}`);
    }
  }
}

/** Hosts of the emulator's registries (`{port}` filled in), read from its inspection API. */
export function emulatorRegistries(cloudUrl: string, ttlMs = 5_000): () => Promise<Set<string>> {
  let cached: { at: number; hosts: Set<string> } | undefined;
  const port = new URL(cloudUrl).port || '80';
  return async () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.hosts;
    const st = await emulatorJson<{ registries?: Array<{ domains?: string[]; vpcDomains?: string[] }> }>('cloud emulator state', new URL('/_sim/state', cloudUrl));
    const hosts = new Set<string>();
    for (const r of st.registries ?? []) for (const d of [...(r.domains ?? []), ...(r.vpcDomains ?? [])]) hosts.add(d.replace('{port}', port).toLowerCase());
    cached = { at: Date.now(), hosts };
    return hosts;
  };
}
