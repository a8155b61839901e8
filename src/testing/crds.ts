/**
 * Installing CRDs as a test (or `kubeloop dev`) needs them: applied and Established. A module of
 * its own, so that what installs CRDs without starting an API server (`kubeloop dev`, whose
 * server runs on its own thread) does not load the server with ./env.ts.
 */
import type { KubeClient } from '../client/index.js';
import { CustomResourceDefinition, crdManifest, groupByCrd, type CustomResourceRef } from '../controller/index.js';
import { eventually } from './eventually.js';

/** Applies each CRD and waits (up to 15 s) until the server serves it; the CRDs side by side. */
export async function installCrds(client: KubeClient, crds: readonly CustomResourceRef[]): Promise<void> {
  await Promise.all([...groupByCrd(crds)].map(async ([name, versions]) => {
    await client.apply(crdManifest(...versions), { force: true, fieldManager: 'kubeloop-testing' });
    await eventually(`CRD ${name} Established`, async () => {
      const crd = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(CustomResourceDefinition, name);
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, 15_000, 20);
  }));
}
