/**
 * What `kubeloop dev` with this extension begins before the extension's parts load (its
 * `preloadDev`, ./index.ts; part of the light entry, so it imports nothing itself).
 */
import type { DevEnvironment } from 'kubeloop/cli';

/**
 * Schedules the loading of what the controllers' first calls load on this thread — pop-core's
 * RPC client (the route controller's and the autoscaler's cloud calls) and yaml (the ACR
 * helper's and the autoscaler's ConfigMaps), ~20-30 ms of compiling before dev.json — so that it
 * runs while this thread waits for the API server's (which starts on its own thread) instead of
 * in the controllers' start.
 */
export function preloadDev(_env: Pick<DevEnvironment, 'options' | 'stateDir' | 'bind'>): undefined {
  setImmediate(() => {
    void import('../cloud/vendor.js').then(({ requireVendored }) => {
      for (const file of ['pop-core-rpc.cjs', 'yaml.cjs']) requireVendored(file);
    }, () => undefined);
  });
  return undefined;
}
