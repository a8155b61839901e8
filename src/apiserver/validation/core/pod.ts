/**
 * Pod create and update validation (pkg/apis/core/validation/validation.go v1.32,
 * ValidatePodCreate, ValidatePodUpdate, validatePodMetadataAndSpec), on the defaulted pod after
 * admission. The metadata rules every kind shares (ValidateObjectMeta) run in the handlers.
 */
import { type Errs, arr, forbidden, invalid, invalidRendered, obj, required, str } from './errors.js';
import { imageWhitespace } from './container.js';
import { validatePodSpec, validateTolerations } from './podspec.js';
import { goSpecDiff, semanticEqual } from './diff.js';

type Pod = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MAX_INT32 = 2147483647;
const MIRROR = 'kubernetes.io/config.mirror';

/** `pod updates may not change fields other than ...` (updatablePodSpecFields, joined with ","). */
export const POD_UPDATE_FORBIDDEN = 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** validatePodMetadataAndSpec (without ValidateObjectMeta): the spec and the pod-only rules. */
function metadataAndSpec(errs: Errs, pod: Pod): void {
  const spec = pod.spec;
  const ann = obj(pod.metadata?.annotations);
  // ValidatePodSpecificAnnotations: a mirror pod names its node
  if (ann && MIRROR in ann && !str(spec?.nodeName)) invalid(errs, `metadata.annotations[${MIRROR}]`, ann[MIRROR], 'must set spec.nodeName if mirror pod annotation is set');
  validatePodSpec(errs, 'spec', spec, { isPod: true });
  if (!spec) return;
  if (!str(spec.serviceAccountName)) {
    for (const [vi, v] of arr(spec.volumes).entries()) {
      for (const [si, s] of arr(obj(obj(v)?.projected)?.sources).entries()) {
        if (obj(s)?.serviceAccountToken) forbidden(errs, `spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set');
      }
    }
  }
  for (const [i, c] of arr(spec.containers).entries()) if (obj(c)) imageWhitespace(errs, `spec.containers[${i}]`, obj(c)!);
  for (const [i, c] of arr(spec.initContainers).entries()) if (obj(c)) imageWhitespace(errs, `spec.initContainers[${i}]`, obj(c)!);
}

export function validatePodCreate(pod: Pod): Errs {
  const errs: Errs = [];
  metadataAndSpec(errs, pod);
  const spec = pod.spec;
  if (arr(spec?.ephemeralContainers).length) forbidden(errs, 'spec.ephemeralContainers', 'cannot be set on create');
  if (str(spec?.nodeName) && arr(spec?.schedulingGates).length) forbidden(errs, 'spec.nodeName', 'cannot be set until all schedulingGates have been cleared');
  return errs;
}

/** ValidateContainerUpdates: same number of containers, each with an image. */
function containerUpdates(errs: Errs, at: string, now: unknown[], before: unknown[]): boolean {
  if (now.length !== before.length) {
    forbidden(errs, at, 'pod updates may not add or remove containers');
    return true;
  }
  for (const [i, c] of now.entries()) {
    const image = str(obj(c)?.image);
    if (!image) required(errs, `${at}[${i}].image`);
    if (image.length !== image.trim().length) invalid(errs, `${at}[${i}].image`, image, 'must not have leading or trailing whitespace');
  }
  return false;
}

/** Go's `%#v` of a map[string]string. */
const goStringMap = (m: unknown) => `map[string]string{${Object.entries(obj(m) ?? {}).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;

export function validatePodUpdate(pod: Pod, old: Pod): Errs {
  const errs: Errs = [];
  metadataAndSpec(errs, pod);
  // ValidatePodSpecificAnnotationUpdates: the mirror pod annotation never changes
  const na = obj(pod.metadata?.annotations);
  const oa = obj(old.metadata?.annotations);
  if (oa && MIRROR in oa && na?.[MIRROR] !== oa[MIRROR]) forbidden(errs, `metadata.annotations[${MIRROR}]`, 'may not remove or update mirror pod annotation');
  if (na && MIRROR in na && !(oa && MIRROR in oa)) forbidden(errs, `metadata.annotations[${MIRROR}]`, 'may not add mirror pod annotation');
  const spec = pod.spec ?? {};
  const before = old.spec ?? {};
  if (containerUpdates(errs, 'spec.containers', arr(spec.containers), arr(before.containers))) return errs;
  if (containerUpdates(errs, 'spec.initContainers', arr(spec.initContainers), arr(before.initContainers))) return errs;
  // activeDeadlineSeconds: set from nil, or lowered
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (ads < 0 || ads > MAX_INT32) {
      invalid(errs, 'spec.activeDeadlineSeconds', ads, `must be between 0 and ${MAX_INT32}, inclusive`);
      return errs;
    }
    if (typeof before.activeDeadlineSeconds === 'number' && before.activeDeadlineSeconds < ads) {
      invalid(errs, 'spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value');
      return errs;
    }
  } else if (typeof before.activeDeadlineSeconds === 'number') {
    invalid(errs, 'spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value');
  }
  // validateOnlyAddedTolerations: every old toleration kept (its tolerationSeconds may change)
  const newTols = arr(spec.tolerations);
  for (const t of arr(before.tolerations)) {
    const found = newTols.some((n) => semanticEqual({ ...obj(t), tolerationSeconds: obj(n)?.tolerationSeconds }, n));
    if (!found) {
      forbidden(errs, 'spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds');
      break;
    }
  }
  if (newTols.length) validateTolerations(errs, 'spec.tolerations', newTols);
  // validateOnlyDeletedSchedulingGates
  const oldGates = new Set(arr(before.schedulingGates).map((g) => str(obj(g)?.name)));
  for (const [i, g] of arr(spec.schedulingGates).entries()) {
    const name = str(obj(g)?.name);
    if (!oldGates.has(name)) forbidden(errs, `spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${name}'`);
  }
  if (semanticEqual(spec, before)) return errs;
  // The updatable fields take their old values; whatever still differs is forbidden.
  const munged: Record<string, unknown> = { ...spec };
  const withOldImages = (now: unknown[], was: unknown[]) => now.map((c, i) => ({ ...obj(c), image: obj(was[i])?.image }));
  munged.containers = withOldImages(arr(spec.containers), arr(before.containers));
  if (spec.initContainers !== undefined) munged.initContainers = withOldImages(arr(spec.initContainers), arr(before.initContainers));
  munged.activeDeadlineSeconds = before.activeDeadlineSeconds;
  munged.schedulingGates = before.schedulingGates;
  munged.tolerations = before.tolerations;
  if (typeof before.terminationGracePeriodSeconds === 'number' && before.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = before.terminationGracePeriodSeconds;
  }
  // A gated pod may gain node selector terms and change its node affinity.
  if (arr(before.schedulingGates).length) {
    if (!semanticEqual(munged.nodeSelector, before.nodeSelector)) {
      const ns = obj(munged.nodeSelector) ?? {};
      const os = obj(before.nodeSelector) ?? {};
      if (Object.keys(os).some((k) => ns[k] !== os[k])) invalidRendered(errs, 'spec.nodeSelector', goStringMap(ns), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)');
      munged.nodeSelector = before.nodeSelector;
    }
    const na2 = obj(munged.affinity);
    const oa2 = obj(before.affinity);
    if (!semanticEqual(na2?.nodeAffinity, oa2?.nodeAffinity)) {
      if (!na2) munged.affinity = { nodeAffinity: oa2?.nodeAffinity };
      else if (!oa2 && !na2.podAffinity && !na2.podAntiAffinity) munged.affinity = undefined;
      else munged.affinity = { ...na2, nodeAffinity: oa2?.nodeAffinity };
    }
  }
  if (!semanticEqual(munged, before)) forbidden(errs, 'spec', `${POD_UPDATE_FORBIDDEN}\n${goSpecDiff('core.PodSpec', before, munged)}`);
  return errs;
}

/**
 * ValidatePodStatusUpdate's rule on the spec: a status write cannot move the pod
 * (`status.nodeName: may not be changed directly`; the spec is the stored one otherwise).
 */
export function validatePodStatusUpdate(pod: Pod, old: Pod): Errs {
  if (str(pod.spec?.nodeName) === str(old.spec?.nodeName)) return [];
  const errs: Errs = [];
  forbidden(errs, 'status.nodeName', 'may not be changed directly');
  return errs;
}
