/**
 * The API server on a thread of its own (a `worker_threads` Worker running ./worker.ts), as
 * kube-apiserver is a process of its own beside the components that talk to it over HTTP:
 * `kubeloop dev` runs it this way, so that the server's work (its modules' loading, TLS,
 * admission, storage, watch encoding) runs on a second core while the simulated cluster and
 * the controllers run on the first. Only this module's few lines load on the calling thread.
 *
 * {@link ApiServerThread.spawn} starts the thread, which loads the server's modules at once and
 * waits; {@link ApiServerThread.start} starts the server with its options (which must be
 * structured-cloneable data: no `dial`, no `walFile`) and resolves with what the calling thread
 * sees of it ({@link RemoteApiServer}). Connections the server dials (aggregated API servers)
 * go where the calling thread's {@link DialRouter} says, asked at every dial; the server's
 * thread opens them itself.
 *
 * A start that fails rejects with the server's own error (a port in use, a damaged data
 * directory); the thread failing later settles `failure`. `stop()` stops the server (its log
 * flushed) and then the thread.
 */
import { Worker } from 'node:worker_threads';
import type { CacheState } from './codecache/index.js';
import type { ApiServerOptions } from './server.js';
import type { ApiServerWorkerData } from './worker.js';

/**
 * Where a connection to `host:port` the server dials goes: a TCP address, refused (rejected
 * with ECONNREFUSED), or dropped (never connects: the dial times out), e.g. what a simulated
 * cluster's pod network says (`SimNetwork.route`).
 */
export type DialRoute = { host: string; port: number } | { refused: true } | { dropped: true };
export type DialRouter = (host: string, port: number) => DialRoute;

/** The options of a server on a thread: {@link ApiServerOptions} but the functions. */
export type ApiServerThreadOptions = Omit<ApiServerOptions, 'dial' | 'walFile' | 'warn'>;

/** The API server on its thread, as the thread that started it sees it. */
export interface RemoteApiServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  port: number;
  kubeconfigPath: string;
  /** The kubeconfig YAML (CA, admin client certificate and key embedded). */
  kubeconfig: string;
  caPem: string;
  /** Where the server's dials go from now on (undefined: the address itself over the host's network). */
  setRouter(route: DialRouter | undefined): void;
  /** Settles with an error when the thread fails after the start. */
  readonly failure: Promise<Error>;
  /** Closes watches and connections, flushes the log, ends the thread. */
  stop(): Promise<void>;
}

/** How the thread loads the server (./worker.ts); the defaults are what `kubeloop dev` uses. */
export interface ApiServerThreadSpawnOptions {
  /**
   * The server as one CommonJS script run with V8's code cache (default: the package's
   * dist/bundle/apiserver/worker-main.cjs beside the entry on Node 20, the ES modules with Node's
   * own compile cache on Node 22.1+; a path given here is used on any Node; when missing, and
   * with `null`, the ES modules).
   */
  script?: string | null;
  /** The compile cache directory (default: `$NODE_COMPILE_CACHE`, else `os.tmpdir()/node-compile-cache`; off with `NODE_DISABLE_COMPILE_CACHE`). */
  codeCacheDir?: string;
}

/** Messages to the thread. */
export type ToApiServerThread =
  | { type: 'start'; options: ApiServerThreadOptions }
  | { type: 'codeCache' }
  | { type: 'router'; on: boolean }
  | { type: 'route'; id: number; route: DialRoute }
  | { type: 'stop' };

/**
 * How the thread loaded the server (./worker.ts): its ES modules, or one script compiled with
 * V8's code cache, which the cache held (`used`), did not (`missing`: none, another text's, or
 * damaged), or V8 refused (`rejected`).
 */
export type ApiServerThreadLoad = { from: 'modules' } | { from: 'script'; cache: CacheState };

/** Messages from the thread. */
export type FromApiServerThread =
  | ({ type: 'loaded' } & ApiServerThreadLoad)
  | { type: 'started'; url: string; port: number; kubeconfigPath: string; kubeconfig: string; caPem: string }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'dial'; id: number; host: string; port: number }
  | { type: 'stopped'; error?: string };

/** How long `stop()` waits for the server to stop before it ends the thread. */
const STOP_TIMEOUT_MS = 15_000;

export class ApiServerThread {
  private readonly worker: Worker;
  private started = false;
  private stopping = false;
  private readonly exited: Promise<number>;
  private error?: Error;
  private stopError?: string;
  private router?: DialRouter;
  /**
   * How the thread loaded the server: known once it did and {@link start} was called (its
   * messages are read from then on); never, when the thread failed first.
   */
  readonly loaded: Promise<ApiServerThreadLoad>;
  private onLoaded!: (load: ApiServerThreadLoad) => void;

  private constructor(options: ApiServerThreadSpawnOptions) {
    // the entry by the package's own name: tsc's dist/src/apiserver/worker.js under the tests'
    // `kubeloop-unbundled` condition (the worker inherits the process's flags), else the bundle's
    const workerData: ApiServerWorkerData = { script: options.script, codeCacheDir: options.codeCacheDir };
    this.worker = new Worker(new URL(import.meta.resolve('kubeloop/apiserver/worker')), { workerData });
    // until `start`, the thread loading modules does not keep the process alive
    this.worker.unref();
    this.worker.on('error', (err) => { this.error ??= err; });
    this.loaded = new Promise((resolve) => { this.onLoaded = resolve; });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** Starts the thread, which loads the server's modules and waits for {@link start}. */
  static spawn(options: ApiServerThreadSpawnOptions = {}): ApiServerThread {
    return new ApiServerThread(options);
  }

  /**
   * Keeps the compiled code of the server's script for the next start, when the thread runs it
   * from one on Node 20 and its code cache did not hold it (./worker.ts): asked once the start
   * and its first requests are done (`kubeloop dev`: when the dev start is), so that what they
   * compiled is in it; the thread writes it while it waits for requests. Otherwise nothing.
   */
  saveCodeCache(): void {
    if (this.started && !this.stopping) this.post({ type: 'codeCache' });
  }

  /** Starts the server on the thread (once). */
  start(options: ApiServerThreadOptions): Promise<RemoteApiServer> {
    if (this.started) throw new Error('the API server thread was started already');
    this.started = true;
    this.worker.ref();
    return new Promise<RemoteApiServer>((resolve, reject) => {
      void this.exited.then((code) => reject(this.error ?? new Error(`the API server's thread exited (code ${code}) before the server started`)));
      this.worker.on('message', (m: FromApiServerThread) => {
        if (m.type === 'loaded') {
          const { type: _, ...load } = m;
          this.onLoaded(load);
        } else if (m.type === 'dial') {
          let route: DialRoute;
          try {
            route = this.router ? this.router(m.host, m.port) : { host: m.host, port: m.port };
          } catch {
            route = { refused: true };
          }
          this.post({ type: 'route', id: m.id, route });
        } else if (m.type === 'stopped') {
          this.stopError = m.error;
        } else if (m.type === 'failed') {
          reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
          void this.worker.terminate();
        } else if (m.type === 'started') {
          const failure = this.exited.then((code) => (this.stopping
            ? new Promise<Error>(() => undefined) // asked to stop: not a failure
            : this.error
              ? new Error(`the API server failed: ${this.error.message}`)
              : new Error(`the API server's thread exited (code ${code})`)));
          resolve({
            url: m.url, port: m.port, kubeconfigPath: m.kubeconfigPath, kubeconfig: m.kubeconfig, caPem: m.caPem,
            setRouter: (route) => {
              this.router = route;
              this.post({ type: 'router', on: !!route });
            },
            failure,
            stop: () => this.stop(),
          });
        }
      });
      this.post({ type: 'start', options });
    });
  }

  /** Stops the server (its log flushed) and ends the thread; a thread never started just ends. */
  async stop(): Promise<void> {
    if (this.stopping) return void (await this.exited);
    this.stopping = true;
    if (!this.started) {
      await this.worker.terminate();
      return;
    }
    this.post({ type: 'stop' });
    const timer = setTimeout(() => void this.worker.terminate(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    if (this.stopError) throw new Error(`the API server did not stop cleanly: ${this.stopError}`);
    if (this.error) throw new Error(`the API server failed: ${this.error.message}`);
  }

  private post(m: ToApiServerThread): void {
    this.worker.postMessage(m);
  }
}
