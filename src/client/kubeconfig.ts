/**
 * A kubeconfig read without importing `@kubernetes/client-node`, whose entry module loads some
 * 800 generated modules (a few hundred ms of every start that makes a client: `kubeloop dev`,
 * `startTestEnv`, each test file of an operator). It reads the file the way client-node's
 * `KubeConfig` does (config_types.ts: the same fields, defaults and errors; relative file paths
 * against the kubeconfig's folder) and applies what needs no plugin — certificates, a bearer
 * token or token file, basic auth, impersonation, `insecure-skip-tls-verify`,
 * `tls-server-name` — exactly as `KubeConfig.applyToHTTPSOptions` would. A user with an `exec`
 * or `auth-provider` plugin, or a cluster with a `proxy-url`, goes through client-node's own
 * `KubeConfig` (`toKubeConfig()`, imported then), so every auth client-node supports still works.
 */
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
// js-yaml, as client-node's KubeConfig.loadFromString reads the text (`yaml.load`): the same
// parser, so the same documents; and ~3 ms on first use against ~10-25 ms for `yaml`'s parse,
// paid by every process that reads a kubeconfig (informer bench: inside the sync time).
import { load as parseYaml } from 'js-yaml';

/** client-node, imported on first use (synchronously: `require` of an ES module, Node >= 20.19). */
export function clientNode(): typeof import('@kubernetes/client-node') {
  return createRequire(import.meta.url)('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The entries as client-node's config_types.ts makes them, invalid ones throwing the same errors.
function clusterOf(e: Raw, i: number): Cluster {
  if (!e?.name) throw new Error(`clusters[${i}].name is missing`);
  if (!e.cluster) throw new Error(`clusters[${i}].cluster is missing`);
  if (!e.cluster.server) throw new Error(`clusters[${i}].cluster.server is missing`);
  return {
    caData: e.cluster['certificate-authority-data'],
    caFile: e.cluster['certificate-authority'],
    name: e.name,
    server: String(e.cluster.server).replace(/\/$/, ''),
    skipTLSVerify: e.cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: e.cluster['tls-server-name'],
    proxyUrl: e.cluster['proxy-url'],
  } as Cluster;
}

function tokenOf(user: Raw | undefined): string | undefined {
  if (user?.token) return user.token as string;
  if (user?.['token-file']) return readFileSync(user['token-file'] as string).toString();
  return undefined;
}

function userOf(e: Raw, i: number): User {
  if (!e?.name) throw new Error(`users[${i}].name is missing`);
  const u = e.user as Raw | undefined;
  return {
    authProvider: u ? u['auth-provider'] : null,
    certData: u ? u['client-certificate-data'] : null,
    certFile: u ? u['client-certificate'] : null,
    exec: u ? u.exec : null,
    keyData: u ? u['client-key-data'] : null,
    keyFile: u ? u['client-key'] : null,
    name: e.name,
    token: tokenOf(u),
    password: u ? u.password : null,
    username: u ? u.username : null,
    impersonateUser: u ? u.as : null,
  } as User;
}

function contextOf(e: Raw, i: number): Context {
  if (!e?.name) throw new Error(`contexts[${i}].name is missing`);
  if (!e.context) throw new Error(`contexts[${i}].context is missing`);
  if (!e.context.cluster) throw new Error(`contexts[${i}].context.cluster is missing`);
  return { cluster: e.context.cluster, name: e.name, user: e.context.user || undefined, namespace: e.context.namespace || undefined } as Context;
}

const list = <T>(a: unknown, f: (e: Raw, i: number) => T): T[] => (Array.isArray(a) ? a.map((e, i) => f(e as Raw, i)) : []);

/** client-node's `findObject`: the named entry. */
function find<T extends { name: string }>(entries: T[], name: string | undefined): T | null {
  return entries.find((e) => e.name === name) ?? null;
}

/** client-node's `bufferFromFileOrString`. */
function fileOrData(file?: string | null, data?: string | null): Buffer | null {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return null;
}

/** A kubeconfig's clusters, users and contexts, and the current context. */
export class LightKubeConfig {
  private kc?: KubeConfig;

  private constructor(
    readonly clusters: Cluster[],
    readonly users: User[],
    readonly contexts: Context[],
    private currentContext: string,
  ) {}

  /** Parses kubeconfig YAML (or JSON); `file` makes relative certificate paths absolute against its folder. */
  static fromString(text: string, file?: string): LightKubeConfig {
    const obj = (parseYaml(text) ?? {}) as Raw;
    const kc = new LightKubeConfig(list(obj.clusters, clusterOf), list(obj.users, userOf), list(obj.contexts, contextOf), obj['current-context'] as string);
    if (file) {
      const root = dirname(file);
      const abs = (p: string) => (isAbsolute(p) ? p : join(root, p));
      for (const c of kc.clusters) if (c.caFile) (c as { caFile?: string }).caFile = abs(c.caFile);
      for (const u of kc.users) {
        if (u.certFile) (u as { certFile?: string }).certFile = abs(u.certFile);
        if (u.keyFile) (u as { keyFile?: string }).keyFile = abs(u.keyFile);
      }
    }
    return kc;
  }

  static fromFile(file: string): LightKubeConfig {
    return LightKubeConfig.fromString(readFileSync(file, 'utf8'), file);
  }

  getCurrentContext(): string {
    return this.currentContext;
  }

  setCurrentContext(name: string): void {
    this.currentContext = name;
    this.kc?.setCurrentContext(name);
  }

  getContextObject(name: string): Context | null {
    return find(this.contexts, name);
  }

  getCurrentCluster(): Cluster | null {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? find(this.clusters, ctx.cluster) : null;
  }

  getCurrentUser(): User | null {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? find(this.users, ctx.user) : null;
  }

  /** True when connecting needs client-node: an exec or auth-provider plugin, or a proxy. */
  needsClientNode(): boolean {
    const user = this.getCurrentUser();
    return !!(user?.exec || user?.authProvider || this.getCurrentCluster()?.proxyUrl);
  }

  /** The same configuration as client-node's `KubeConfig` (imported now, then kept). */
  toKubeConfig(): KubeConfig {
    if (!this.kc) {
      const kc = new (clientNode().KubeConfig)();
      kc.loadFromOptions({ clusters: this.clusters, users: this.users, contexts: this.contexts, currentContext: this.currentContext });
      this.kc = kc;
    }
    return this.kc;
  }

  /** TLS material and auth headers on `opts`, as client-node's `KubeConfig.applyToHTTPSOptions` sets them. */
  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    if (this.needsClientNode()) return this.toKubeConfig().applyToHTTPSOptions(opts);
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (!user) return;
    if (cluster?.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster?.tlsServerName) (opts as { servername?: string }).servername = cluster.tlsServerName;
    const ca = cluster ? fileOrData(cluster.caFile, cluster.caData) : null;
    if (ca) opts.ca = ca;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (user.impersonateUser != null) headers['Impersonate-User'] = user.impersonateUser;
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
    if (user.username) opts.auth = `${user.username}:${user.password}`;
  }
}
