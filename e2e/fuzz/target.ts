/**
 * What the fuzz runner needs from a system under test. The runner is target-independent:
 * it sends the requests a target generates, counts the answers and judges them with the
 * target's rules. The built-in API server is one target (`apiserver/`); a second one (the
 * cloud emulator) plugs in by implementing {@link FuzzTarget} and registering a factory in
 * `targets.ts`.
 */
import type { Rng } from './rng.js';

export interface FuzzRequest {
  method: string;
  /** Request target as sent (path and query; may be unusual: `//`, `%00`, very long). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What was generated, for reports (`create configmap, wrong types`). */
  label: string;
  /** Long-running (watch): the client stops reading after a short while; not a failure. */
  streaming?: boolean;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first bytes of the body (enough to read a Status). */
  body: string;
}

/** Where the target listens; the runner's client connects with these credentials. */
export interface Endpoint {
  url: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export interface FuzzTarget {
  readonly name: string;
  /** Starts the system (in this process, so crashes and memory are observable) and returns its endpoint. */
  start(): Promise<Endpoint>;
  /** Requests that put the system in an interesting state before fuzzing (namespaces, CRDs). */
  setup?(send: (req: FuzzRequest) => Promise<FuzzResponse>): Promise<void>;
  /** The next request to send; all randomness comes from `rng` (runs are reproducible). */
  generate(rng: Rng): FuzzRequest;
  /**
   * True when a 5xx answer is what the real system gives for this input too (e.g.
   * kube-apiserver's 504 for a list at a future resourceVersion); any other 5xx fails the run.
   */
  expected5xx(req: FuzzRequest, res: FuzzResponse): boolean;
  /** Sees every answer of the load (not of setup, warm-up or settle), e.g. to tally what the requests reached. */
  observe?(req: FuzzRequest, res: FuzzResponse): void;
  /** After the load: release what the fuzzing created, so memory can be compared with the start. */
  settle?(send: (req: FuzzRequest) => Promise<FuzzResponse>): Promise<void>;
  stop(): Promise<void>;
}
