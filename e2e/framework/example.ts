// The example operator of docs/framework.md, verbatim (e2e/framework/example.test.ts runs it).
import {
  Controller, Manager, defineCustomResource, createOrUpdate, patchStatus, setCondition,
  setControllerReference, generationChanged, ConfigMap,
  type ConfigMapObject, type ObjectOf, type ReconcileContext, type Reconciler,
} from 'kubeloop';

export const Greeting = defineCustomResource({
  group: 'demo.kubeloop.io', version: 'v1', kind: 'Greeting', plural: 'greetings', shortNames: ['gr'],
  schema: {
    type: 'object',
    properties: {
      spec: {
        type: 'object', required: ['message'],
        properties: { message: { type: 'string', minLength: 1 }, shout: { type: 'boolean' } },
      },
      status: { type: 'object', properties: { conditions: { type: 'array', items: {
        type: 'object', required: ['type', 'status'], 'x-kubernetes-preserve-unknown-fields': true,
        properties: { type: { type: 'string' }, status: { type: 'string' } } } } } },
    },
  },
  subresources: { status: true },
  printerColumns: [{ name: 'Message', type: 'string', jsonPath: '.spec.message' }],
});
export type Greeting = ObjectOf<typeof Greeting>;

@Controller({ for: Greeting, owns: [ConfigMap], predicates: [generationChanged()], finalizer: 'demo.kubeloop.io/farewell' })
export class GreetingController implements Reconciler<Greeting> {
  async reconcile(g: Greeting, ctx: ReconcileContext<Greeting>) {
    const text = g.spec!.shout ? g.spec!.message.toUpperCase() : g.spec!.message;
    const cm: ConfigMapObject = { apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `${g.metadata.name}-greeting`, namespace: g.metadata.namespace } };
    const { operation } = await createOrUpdate(ctx.client, cm, (o) => {
      o.data = { message: text };
      setControllerReference(g, o);
    });
    await patchStatus(ctx.client, g, (o) => {
      const c = setCondition(o.status?.conditions, { type: 'Ready', status: 'True', reason: 'Greeted',
        message: `ConfigMap ${operation}`, observedGeneration: g.metadata.generation });
      o.status = { ...o.status, conditions: c.list };
    });
    if (operation !== 'unchanged') ctx.recorder.event(g, 'Normal', 'Greeted', `ConfigMap ${cm.metadata.name} ${operation}`);
  }

  async finalize(g: Greeting, ctx: ReconcileContext<Greeting>) {
    ctx.recorder.event(g, 'Normal', 'Farewell', `goodbye from ${ctx.controller}`);
  }
}

export async function runExample(kubeconfig: string, signal?: AbortSignal): Promise<Manager> {
  const manager = new Manager({ kubeconfig, metricsBindAddress: 0, healthProbeBindAddress: 0 });
  manager.register(GreetingController);
  await manager.start(signal);
  return manager;
}
