/**
 * A Docker Registry HTTP API v2 endpoint with the token authentication flow that ACR
 * (and every Docker-compatible registry) uses:
 *   GET /v2/                -> 401, WWW-Authenticate: Bearer realm="<base>/auth",service="..."
 *   GET /auth?service&scope -> Basic auth with the temporary credentials -> {token}
 *   GET /v2/<repo>/manifests/<ref> with `Authorization: Bearer <token>`
 * Tokens carry the repositories they may pull; expired credentials or tokens get 401.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cloud } from './cloud.js';
import { renderDomain } from './cr.js';
import { randomToken, type RegistryInstance, type RegistryRepository } from './state.js';
import type { Faults } from './faults.js';

export const REGISTRY_TOKEN_PATH = '/auth';
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';

function sha256(s: string): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`;
}

/** The deterministic image behind a tag: a config blob and a manifest pointing at it. */
export function imageFor(repo: RegistryRepository, tag: string): { manifest: string; digest: string; config: string; configDigest: string } | undefined {
  const meta = repo.tags[tag];
  if (!meta) return undefined;
  const config = JSON.stringify({
    architecture: meta.architecture ?? 'amd64', os: meta.os ?? 'linux',
    config: { Labels: { ...(meta.labels ?? {}), 'org.opencontainers.image.ref.name': `${repo.namespace}/${repo.name}:${tag}` } },
    rootfs: { type: 'layers', diff_ids: [] },
  });
  const configDigest = sha256(config);
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: MANIFEST_TYPE,
    config: { mediaType: CONFIG_TYPE, size: Buffer.byteLength(config), digest: configDigest }, layers: [],
  });
  return { manifest, digest: sha256(manifest), config, configDigest };
}

interface RegistryDeps { cloud: Cloud; faults: Faults; port: () => number; regionId: () => string }

export function createRegistryHandler(deps: RegistryDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const service = () => `registry.aliyuncs.com:${deps.regionId()}:26842`;

  function instanceFor(req: IncomingMessage): RegistryInstance | undefined {
    const host = (req.headers.host ?? '').toLowerCase();
    const regs = deps.cloud.state.registries;
    return regs.find((r) => [...r.domains, ...r.vpcDomains].some((d) => renderDomain(d, deps.port()).toLowerCase() === host)) ?? regs[0];
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'docker-distribution-api-version': 'registry/2.0', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  }

  function challenge(req: IncomingMessage, res: ServerResponse, scope?: string, code = 'UNAUTHORIZED', message = 'authentication required'): void {
    const realm = `http://${req.headers.host ?? `127.0.0.1:${deps.port()}`}${REGISTRY_TOKEN_PATH}`;
    const scopePart = scope ? `,scope="${scope}"` : '';
    send(res, 401, { errors: [{ code, message, detail: scope ? [{ Type: 'repository', Action: 'pull' }] : null }] }, {
      'www-authenticate': `Bearer realm="${realm}",service="${service()}"${scopePart}`,
    });
  }

  function bearer(req: IncomingMessage, inst: RegistryInstance, now: number) {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) return undefined;
    return deps.cloud.state.registryBearers.find((b) => b.token === m[1] && b.instanceId === inst.instanceId && b.expiresAt > now);
  }

  function token(req: IncomingMessage, res: ServerResponse, url: URL, inst: RegistryInstance, now: number): void {
    let expiresAt = now + deps.cloud.timings.registryBearerLifetimeMs;
    const auth = req.headers.authorization ?? '';
    let authenticated = false;
    if (auth) {
      const m = /^Basic\s+(\S+)$/i.exec(auth);
      const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : '';
      const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
      const cred = deps.cloud.state.registryCredentials.find((c) => c.instanceId === inst.instanceId && c.username === user && c.password === pass);
      if (!cred || cred.expiresAt <= now) {
        send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: cred ? 'the temporary credentials have expired' : 'invalid username or password' }] });
        return;
      }
      authenticated = true;
      expiresAt = Math.min(expiresAt, cred.expiresAt);
    }
    const pull: string[] = [];
    for (const scope of url.searchParams.getAll('scope')) {
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      if (!m || !m[2].split(',').includes('pull')) continue;
      const repo = inst.repositories.find((r) => `${r.namespace}/${r.name}` === m[1]);
      // Like a real registry, an unknown or forbidden scope yields a token without that access.
      if (repo && (authenticated || repo.public)) pull.push(m[1]);
    }
    const t = randomToken(32);
    const state = deps.cloud.state;
    state.registryBearers = state.registryBearers.filter((b) => b.expiresAt > now);
    state.registryBearers.push({ token: t, instanceId: inst.instanceId, pull, expiresAt });
    deps.cloud.changed();
    send(res, 200, { token: t, access_token: t, expires_in: Math.max(1, Math.floor((expiresAt - now) / 1000)), issued_at: new Date(now).toISOString() });
  }

  return async (req, res, url) => {
    const now = Date.now();
    const path = url.pathname;
    const fate = await deps.faults.apply('registry', path === REGISTRY_TOKEN_PATH ? 'RegistryToken' : 'RegistryV2', now);
    if (fate.kind === 'outage' || fate.kind === 'error') return send(res, 503, { errors: [{ code: 'UNAVAILABLE', message: 'service unavailable' }] });
    if (fate.kind === 'throttle') return send(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'too many requests' }] });
    if (fate.kind === 'deny') return send(res, 403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
    const inst = instanceFor(req);
    if (!inst) return send(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'no registry instance' }] });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'the emulated registry is read-only' }] });
    if (path === REGISTRY_TOKEN_PATH) return token(req, res, url, inst, now);
    if (path === '/v2/' || path === '/v2') {
      return bearer(req, inst, now) ? send(res, 200, {}) : challenge(req, res);
    }
    const m = /^\/v2\/(.+)\/(manifests|tags|blobs)\/(.+)$/.exec(path);
    if (!m) return send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'unknown path' }] });
    const [, name, kind, ref] = m;
    const scope = `repository:${name}:pull`;
    const b = bearer(req, inst, now);
    const repo = inst.repositories.find((r) => `${r.namespace}/${r.name}` === name);
    // Public repositories are granted by the token endpoint to anonymous callers too.
    if (!b || !b.pull.includes(name)) return challenge(req, res, scope);
    if (!repo) return send(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: `repository name not known to registry: ${name}` }] });
    if (kind === 'tags') {
      if (ref !== 'list') return send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'unknown path' }] });
      return send(res, 200, { name, tags: Object.keys(repo.tags).sort() });
    }
    const images = Object.keys(repo.tags).map((t) => imageFor(repo, t)!);
    if (kind === 'manifests') {
      const img = ref.startsWith('sha256:') ? images.find((i) => i.digest === ref) : imageFor(repo, ref);
      if (!img) return send(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: `manifest unknown: ${ref}` }] });
      return send(res, 200, img.manifest, { 'content-type': MANIFEST_TYPE, 'docker-content-digest': img.digest });
    }
    const blob = images.find((i) => i.configDigest === ref);
    if (!blob) return send(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: `blob unknown: ${ref}` }] });
    return send(res, 200, blob.config, { 'content-type': 'application/octet-stream', 'docker-content-digest': ref });
  };
}
