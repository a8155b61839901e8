/**
 * The entry of the emulator's thread (./thread.ts): loads the emulator at once, starts it when
 * told to, reports its URL and AccessKey, then the state the main thread keeps a copy of
 * (forwarding's part and the defaults) after every change, and stops it when told to.
 */
import { parentPort } from 'node:worker_threads';
import { startCloudSim, type CloudSim } from './server.js';
import { routingState } from './routing.js';
import type { CloudSimView, FromCloudSimThread, ToCloudSimThread } from './thread.js';

// imported outside a worker thread (by name, as any export), it does nothing
const port = parentPort;
const post = (m: FromCloudSimThread) => port?.postMessage(m);

function viewOf(sim: CloudSim): CloudSimView {
  const state = sim.state;
  return { ...routingState(state), slsProject: state.slsProjects[0]?.projectName, registry: state.registries[0]?.instanceId };
}

let sim: CloudSim | undefined;
port?.on('message', (m: ToCloudSimThread) => {
  if (m.type === 'start') {
    startCloudSim(m.options).then((s) => {
      sim = s;
      // one copy per turn of the event loop, however many changes it made
      let pending = false;
      s.events.on('changed', () => {
        if (pending) return;
        pending = true;
        setImmediate(() => {
          pending = false;
          if (sim) post({ type: 'view', view: viewOf(s), regionId: s.regionId });
        });
      });
      post({ type: 'started', url: s.url, port: s.port, accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret, regionId: s.regionId, slsEndpoint: s.slsEndpoint, view: viewOf(s) });
    }, (err: unknown) => {
      post({ type: 'failed', message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code });
      port.close();
    });
  } else if (m.type === 'stop') {
    const s = sim;
    sim = undefined;
    (s ? s.stop() : Promise.resolve()).then(() => post({ type: 'stopped' }), (err: unknown) => post({ type: 'stopped', error: err instanceof Error ? err.message : String(err) }))
      .finally(() => port.close());
  }
});
