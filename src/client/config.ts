/**
 * Where a client connects and how it authenticates: a kubeconfig (file, string or the
 * default `KUBECONFIG` / ~/.kube/config chain) or the in-cluster ServiceAccount mount.
 * Both are a client-node `KubeConfig`, whose auth machinery (client certs, bearer tokens,
 * exec and auth-provider plugins, token files) we reuse unchanged. A kubeconfig file or text
 * is read without importing client-node (./kubeconfig.ts: it costs a few hundred ms of every
 * start), which is then imported only when a plugin or proxy needs it or `kubeConfig` is read.
 */
import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import net from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Cluster, KubeConfig, User } from '@kubernetes/client-node';
import { LightKubeConfig, clientNode } from './kubeconfig.js';

/** A loaded configuration: the client-node `KubeConfig` plus the default namespace. */
export interface ClientConfig {
  /** client-node's `KubeConfig`; when the configuration was read without it, made on first access. */
  readonly kubeConfig: KubeConfig;
  /** Namespace of the current context (in-cluster: the pod's namespace); "default" if unset. */
  readonly namespace: string;
  /**
   * What the transport connects with, when it is not `kubeConfig` itself: the kubeconfig as
   * read without client-node, which applies certificates and tokens the same way.
   */
  readonly connection?: Connection;
}

/** The part of a `KubeConfig` the transport uses. */
export interface Connection {
  getCurrentCluster(): Cluster | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

/** What `config`'s transport connects with. */
export function connectionOf(config: ClientConfig): Connection {
  return config.connection ?? config.kubeConfig;
}

export interface LoadKubeConfigOptions {
  /**
   * Kubeconfig file; a leading `~/` is the home directory (as kubectl expands it, e.g.
   * `--kubeconfig ~/.kube/config` quoted past the shell). Default: `$KUBECONFIG` (merged by
   * client-node), else ~/.kube/config.
   */
  path?: string;
  /** Kubeconfig YAML/JSON text, instead of a file. */
  kubeconfig?: string;
  /** Context to use. Default: the file's `current-context`. */
  context?: string;
}

/** `~` and `~/x` -> the home directory (other paths unchanged). */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

function namespaceOf(kc: KubeConfig | LightKubeConfig): string {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace || 'default';
}

/**
 * The default kubeconfig file when client-node's `loadFromDefault` would read just that one
 * file: `$KUBECONFIG` naming one file, else `$HOME/.kube/config`. Undefined when it would merge
 * several files or look further (in-cluster, Windows): then client-node reads it.
 */
function defaultKubeconfigFile(): string | undefined {
  const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f);
  if (files.length === 1) return files[0];
  if (files.length > 1 || process.platform === 'win32' || !process.env.HOME) return undefined;
  const file = join(process.env.HOME, '.kube', 'config');
  return existsSync(file) ? file : undefined;
}

/** Loads a kubeconfig. Throws a clear error when the file is missing or has no usable context. */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): ClientConfig {
  let kc: KubeConfig | LightKubeConfig;
  if (opts.kubeconfig !== undefined) {
    kc = LightKubeConfig.fromString(opts.kubeconfig);
  } else if (opts.path !== undefined) {
    const path = expandHome(opts.path);
    if (!existsSync(path)) throw new Error(`kubeconfig file ${opts.path} does not exist`);
    kc = LightKubeConfig.fromFile(path);
  } else {
    const file = defaultKubeconfigFile();
    if (file) kc = LightKubeConfig.fromFile(file);
    else {
      kc = new (clientNode().KubeConfig)();
      kc.loadFromDefault();
    }
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) throw new Error(`context "${opts.context}" not found in kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`kubeconfig has no cluster for context "${kc.getCurrentContext() ?? ''}"`);
  }
  const namespace = namespaceOf(kc);
  if (!(kc instanceof LightKubeConfig)) return { kubeConfig: kc, namespace };
  const light = kc;
  return {
    get kubeConfig() {
      return light.toKubeConfig();
    },
    namespace,
    connection: light,
  };
}

/** Where the ServiceAccount volume is mounted in every pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterOptions {
  /** Default `${SERVICE_ACCOUNT_DIR}/token`. Re-read every minute (projected tokens rotate). */
  tokenPath?: string;
  /** Default `${SERVICE_ACCOUNT_DIR}/ca.crt`. */
  caPath?: string;
  /** Default `${SERVICE_ACCOUNT_DIR}/namespace`. */
  namespacePath?: string;
  /** Default `$KUBERNETES_SERVICE_HOST`. */
  host?: string;
  /** Default `$KUBERNETES_SERVICE_PORT`. */
  port?: string | number;
  /** How often the token file is re-read, ms. Default 60 000 (client-go re-reads every minute). */
  tokenRefreshMs?: number;
}

const TOKEN_FILE_PROVIDER = 'kubeloop-token-file';

/**
 * Bearer token from a file, re-read every `refreshMs` so rotated (projected) tokens are
 * picked up. Plugged into client-node's KubeConfig as a custom authenticator.
 */
export class TokenFileAuthenticator {
  private token = '';
  private readAt = -Infinity;
  constructor(private readonly refreshMs: number) {}

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === TOKEN_FILE_PROVIDER;
  }

  async applyAuthentication(user: User, opts: { headers?: unknown }): Promise<void> {
    const path = String(user.authProvider?.config?.path ?? '');
    const now = Date.now();
    if (now - this.readAt >= this.refreshMs || !this.token) {
      try {
        this.token = readFileSync(path, 'utf8').trim();
        this.readAt = now;
      } catch (err) {
        // Keep the last good token when the file is briefly missing during a rotation.
        if (!this.token) throw new Error(`cannot read token file ${path}: ${(err as Error).message}`);
      }
    }
    // Request options (and WebSocket client options) carry headers as an object here.
    const headers = (opts.headers ??= {}) as Record<string, unknown>;
    headers.Authorization = `Bearer ${this.token}`;
  }
}

/** True when the process looks like it runs in a pod (service env vars and a token file). */
export function isInCluster(opts: InClusterOptions = {}): boolean {
  const host = opts.host ?? process.env.KUBERNETES_SERVICE_HOST;
  return !!host && existsSync(opts.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`);
}

/**
 * In-cluster configuration, as client-go's `rest.InClusterConfig`. The token file is
 * re-read every `tokenRefreshMs` (60 s), so rotated projected tokens are picked up
 * without a restart.
 */
export function inClusterConfig(opts: InClusterOptions = {}): ClientConfig {
  const host = opts.host ?? process.env.KUBERNETES_SERVICE_HOST;
  const port = String(opts.port ?? process.env.KUBERNETES_SERVICE_PORT ?? '');
  if (!host || !port) {
    throw new Error('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  }
  const tokenPath = opts.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`;
  const caPath = opts.caPath ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`;
  const namespacePath = opts.namespacePath ?? `${SERVICE_ACCOUNT_DIR}/namespace`;
  if (!existsSync(tokenPath)) throw new Error(`in-cluster token file ${tokenPath} does not exist`);
  const server = `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const kc = new (clientNode().KubeConfig)();
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: existsSync(caPath) ? caPath : undefined, skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: TOKEN_FILE_PROVIDER, config: { path: tokenPath } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster' }],
    currentContext: 'in-cluster',
  });
  kc.addAuthenticator(new TokenFileAuthenticator(opts.tokenRefreshMs ?? 60_000));
  let namespace = 'default';
  if (existsSync(namespacePath)) namespace = readFileSync(namespacePath, 'utf8').trim() || 'default';
  return { kubeConfig: kc, namespace };
}

/** In-cluster config when running in a pod, else the default kubeconfig (like controller-runtime's GetConfig). */
export function autoConfig(opts: LoadKubeConfigOptions = {}): ClientConfig {
  if (opts.path === undefined && opts.kubeconfig === undefined && !process.env.KUBECONFIG && isInCluster()) {
    return inClusterConfig();
  }
  return loadKubeConfig(opts);
}
