/**
 * CRD conversion through a hub, with controller-runtime's semantics
 * (pkg/webhook/conversion, `NewHubSpokeConverter`): every object of a ConversionReview is
 * converted to `desiredAPIVersion` — hub to spoke with the spoke's `fromHub`, spoke to hub
 * with its `toHub`, spoke to spoke through the hub. The first failure fails the whole review
 * (`result: { status: 'Failure', message }`, no objects), as the API server expects.
 *
 * Unlike controller-runtime, an object already in the desired version is returned as it is
 * instead of failing (the API server never sends one; a hand-made review may).
 */
import { parseApiVersion, type KubeObject } from '../../api/index.js';
import type { Logger } from '../context.js';
import { errorMessage, isPanic } from '../errors.js';
import type { KindRef } from '../kinds.js';
import { groupKindKey, type SpokeConversion } from './metadata.js';
import type { ConversionContext, ConversionReview } from './types.js';

/** The conversions of one custom resource: its hub version and a converter per spoke version. */
export interface HubAndSpokes {
  hub: KindRef;
  spokes: Map<string, SpokeConversion>;
}

type ConversionResponse = NonNullable<ConversionReview['response']>;

function stamp(out: KubeObject, apiVersion: string, kind: string, from: KubeObject): KubeObject {
  if (!out || typeof out !== 'object') throw new Error(`conversion to ${apiVersion} returned ${String(out)} instead of an object`);
  return { ...out, apiVersion, kind, metadata: out.metadata ?? from.metadata };
}

/** Converts an object whose apiVersion and kind were checked. */
async function convertOne(obj: KubeObject & { apiVersion: string; kind: string }, set: HubAndSpokes, desired: string, ctx: ConversionContext): Promise<KubeObject> {
  if (obj.apiVersion === desired) return obj;
  const from = parseApiVersion(obj.apiVersion).version;
  const to = parseApiVersion(desired).version;
  const hubVersion = set.hub.version;
  const spoke = (v: string) => {
    const c = set.spokes.get(v);
    if (!c) throw new Error(`no conversion between ${set.hub.group}/${v} and the hub ${set.hub.apiVersion} for ${obj.kind}`);
    return c;
  };
  const hub = from === hubVersion ? obj : stamp(await spoke(from).toHub(structuredClone(obj), ctx), set.hub.apiVersion, obj.kind, obj);
  if (to === hubVersion) return hub;
  return stamp(await spoke(to).fromHub(structuredClone(hub), ctx), desired, obj.kind, obj);
}

/**
 * Answers one ConversionReview. `sets` maps `group/kind` to the custom resource's
 * conversions. Errors (an unknown kind or version, a conversion function that throws)
 * become a failed result with the error's message; a programming error (TypeError and co.)
 * is logged and answered "internal error occurred during conversion".
 */
export async function handleConversion(review: ConversionReview, sets: ReadonlyMap<string, HubAndSpokes>, log: Logger): Promise<ConversionResponse> {
  const req = review.request!;
  const ctx: ConversionContext = { desiredAPIVersion: req.desiredAPIVersion, log: log.child({ requestID: req.uid }) };
  try {
    if (typeof req.desiredAPIVersion !== 'string' || !Array.isArray(req.objects)) throw new Error('the request needs desiredAPIVersion and objects');
    const desiredGroup = parseApiVersion(req.desiredAPIVersion).group;
    const convertedObjects: KubeObject[] = [];
    for (const obj of req.objects) {
      if (!obj || typeof obj !== 'object' || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') throw new Error('an object has no apiVersion or kind');
      const group = parseApiVersion(obj.apiVersion).group;
      if (group !== desiredGroup) throw new Error(`${obj.apiVersion} ${obj.kind} and ${req.desiredAPIVersion} do not belong to the same API group`);
      const set = sets.get(groupKindKey({ group, kind: obj.kind } as KindRef));
      if (!set) throw new Error(`no conversion is registered for ${obj.kind}.${group}`);
      convertedObjects.push(await convertOne(obj as KubeObject & { apiVersion: string; kind: string }, set, req.desiredAPIVersion, ctx));
    }
    return { uid: req.uid, convertedObjects, result: { status: 'Success' } };
  } catch (err) {
    // a programming error's message is for the log, not the client (controller-runtime's recover)
    const message = isPanic(err) ? 'internal error occurred during conversion' : errorMessage(err);
    if (isPanic(err)) ctx.log.error({ err }, 'conversion panicked');
    else ctx.log.info({ err: message }, 'conversion failed');
    return { uid: req.uid, convertedObjects: [], result: { status: 'Failure', message } };
  }
}
