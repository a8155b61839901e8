/**
 * The emulator on a thread of its own (a `worker_threads` Worker running ./worker.ts), as the
 * cloud is a service of its own beside a cluster: `kubeloop dev` starts it this way, so that
 * loading its modules and answering the controllers' and kubelets' calls runs on the second
 * core while the API server and the simulated cluster start on the first.
 *
 * {@link CloudSimThread.spawn} starts the thread, which loads the emulator's modules at once
 * and waits; {@link CloudSimThread.start} starts the emulator with its options (ports, state
 * file, known only later) and resolves with what the main thread sees of it: its URL and
 * AccessKey, and a copy of the state the pod network's forwarding reads (./routing.ts), kept
 * current from the thread on every change of the cloud's state. Only this module's own small
 * imports load on the calling thread.
 *
 * A start that fails rejects with the emulator's own error (a port in use, an unreadable state
 * file); the thread failing later (an uncaught error there, or it exits unasked) settles
 * `failure` with an error saying so. `stop()` stops the emulator (its state file written) and
 * then the thread.
 */
import { Worker } from 'node:worker_threads';
import { podAddressReachable, type RoutingState } from './routing.js';

/** What the emulator thread is started with (as `startCloudSim`'s options of the same names). */
export interface CloudSimThreadOptions {
  port?: number;
  host?: string;
  stateFile?: string;
}

/** What the main thread keeps of the emulator's state: forwarding's part and the defaults `kubeloop dev` reads. */
export interface CloudSimView extends RoutingState {
  /** the first SLS project's name (the default project), if any */
  slsProject?: string;
  /** the first Container Registry instance's id, if any */
  registry?: string;
}

/** The emulator as the main thread sees it. */
export interface RemoteCloudSim {
  url: string;
  port: number;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  slsEndpoint: string;
  /** the emulator's state as of its last change the thread reported */
  readonly view: CloudSimView;
  /** whether pod address `podIP` on instance `instanceId` is reachable from the host network (./routing.ts) */
  podReachable(instanceId: string, podIP: string): boolean;
  /** settles with an error when the thread fails after the start */
  readonly failure: Promise<Error>;
  stop(): Promise<void>;
}

/** Messages to the thread. */
export type ToCloudSimThread = { type: 'start'; options: CloudSimThreadOptions } | { type: 'stop' };

/** Messages from the thread. */
export type FromCloudSimThread =
  | { type: 'started'; url: string; port: number; accessKeyId: string; accessKeySecret: string; regionId: string; slsEndpoint: string; view: CloudSimView }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'view'; view: CloudSimView; regionId: string }
  | { type: 'stopped'; error?: string };

/** How long `stop()` waits for the emulator to stop before it ends the thread. */
const STOP_TIMEOUT_MS = 10_000;

export class CloudSimThread {
  private readonly worker: Worker;
  private started = false;
  private stopping = false;
  private readonly exited: Promise<number>;
  private error?: Error;
  private stopError?: string;

  private constructor() {
    // the entry by the package's own name: tsc's dist/cloudsim/worker.js under the tests'
    // `kubeloop-unbundled` condition (the worker inherits the process's flags), else the bundle's
    this.worker = new Worker(new URL(import.meta.resolve('@kubeloop/ack/cloudsim/worker')));
    // until `start`, the thread loading modules does not keep the process alive (a `kubeloop
    // dev` whose API server failed to start exits without it)
    this.worker.unref();
    this.worker.on('error', (err) => { this.error ??= err; });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** Starts the thread, which loads the emulator's modules and waits for {@link start}. */
  static spawn(): CloudSimThread {
    return new CloudSimThread();
  }

  /** Starts the emulator on the thread (once). */
  start(options: CloudSimThreadOptions): Promise<RemoteCloudSim> {
    if (this.started) throw new Error('the cloud emulator thread was started already');
    this.started = true;
    this.worker.ref();
    let view: CloudSimView;
    let regionId: string;
    return new Promise<RemoteCloudSim>((resolve, reject) => {
      const early = (code: number) => reject(this.error ?? new Error(`the cloud emulator's thread exited (code ${code}) before the emulator started`));
      void this.exited.then(early);
      this.worker.on('message', (m: FromCloudSimThread) => {
        if (m.type === 'stopped') {
          this.stopError = m.error;
        } else if (m.type === 'view') {
          view = m.view;
          regionId = m.regionId;
        } else if (m.type === 'failed') {
          reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
          void this.worker.terminate();
        } else if (m.type === 'started') {
          ({ view, regionId } = m);
          const failure = this.exited.then((code) => (this.stopping
            ? new Promise<Error>(() => undefined) // asked to stop: not a failure
            : this.error
              ? new Error(`the cloud emulator failed: ${this.error.message}`)
              : new Error(`the cloud emulator's thread exited (code ${code})`)));
          resolve({
            url: m.url, port: m.port, accessKeyId: m.accessKeyId, accessKeySecret: m.accessKeySecret, slsEndpoint: m.slsEndpoint,
            get regionId() { return regionId; },
            get view() { return view; },
            podReachable: (instanceId, podIP) => podAddressReachable(view, instanceId, podIP),
            failure,
            stop: () => this.stop(),
          });
        }
      });
      this.post({ type: 'start', options });
    });
  }

  /** Stops the emulator (its state file written) and ends the thread; a thread never started just ends. */
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
    if (this.stopError) throw new Error(`the cloud emulator did not stop cleanly: ${this.stopError}`);
    if (this.error) throw new Error(`the cloud emulator failed: ${this.error.message}`);
  }

  private post(m: ToCloudSimThread): void {
    this.worker.postMessage(m);
  }
}
