/**
 * Client for the emulator's instance lifecycle stream (`GET /_sim/events`, NDJSON), for
 * the simulated cluster when the emulator runs as a separate process (in process, use
 * `startCloudSim().events` instead). Reconnects with backoff when the stream drops;
 * each reconnect replays the current instances first, so a consumer converges.
 */
import http from 'node:http';

/** Mirrors the emulator's event (the two programs share no code). */
export interface EmulatorInstanceEvent {
  type: 'Pending' | 'Active' | 'Removing' | 'Removed';
  at: number;
  instanceId: string;
  /** `<region>.<instanceId>` */
  providerId: string;
  hostName: string;
  instanceType: string;
  cpuCoreCount: number;
  memoryGiB: number;
  gpuAmount: number;
  regionId: string;
  zoneId: string;
  privateIpAddress: string;
  scalingGroupId?: string;
  nodeLabels: Record<string, string>;
  nodeTaints: Array<{ key: string; value?: string; effect: string }>;
}

export interface InstanceEventWatch {
  close(): void;
}

export function watchEmulatorInstances(emulatorUrl: string, onEvent: (e: EmulatorInstanceEvent) => void, opts: { onError?: (err: Error) => void } = {}): InstanceEventWatch {
  let closed = false;
  let req: http.ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = 200;

  const connect = () => {
    if (closed) return;
    const url = new URL('/_sim/events', emulatorUrl);
    req = http.get(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        retry(new Error(`GET ${url} answered ${res.statusCode}`));
        return;
      }
      delay = 200;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            onEvent(JSON.parse(line) as EmulatorInstanceEvent);
          } catch (err) {
            opts.onError?.(err as Error);
          }
        }
      });
      res.on('end', () => retry(new Error('event stream ended')));
      res.on('error', (err) => retry(err));
    });
    req.on('error', (err) => retry(err));
  };

  const retry = (err: Error) => {
    if (closed || timer) return;
    opts.onError?.(err);
    timer = setTimeout(() => { timer = undefined; connect(); }, delay);
    delay = Math.min(delay * 2, 5000);
  };

  connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      req?.destroy();
    },
  };
}
