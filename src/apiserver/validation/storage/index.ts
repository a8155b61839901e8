/**
 * storage.k8s.io/v1 validation as kube-apiserver v1.32's
 * pkg/apis/storage/validation/validation.go does it, with upstream's field paths and messages:
 * - StorageClass: ValidateStorageClass (validateProvisioner, validateParameters,
 *   validateReclaimPolicy, validateVolumeBindingMode) on create and update, then on update
 *   ValidateStorageClassUpdate (parameters, provisioner and reclaimPolicy forbidden to change,
 *   volumeBindingMode immutable) — pkg/registry/storage/storageclass/strategy.go ValidateUpdate.
 * - VolumeAttachment: ValidateVolumeAttachment (validateAttacher, validateVolumeAttachmentSource,
 *   validateNodeName). The update rule "spec is immutable" is not modelled (its message prints
 *   the Go struct), nor are the CSIDriver/CSINode rules (their defaults are: ../../defaults).
 */
import { type Errs, forbidden, invalid, notSupported, obj, required, str } from '../core/errors.js';
import { each, qualifiedName, semanticEqualMaps } from './helpers.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** supportedReclaimPolicy / supportedVolumeBindingModes (sets: listed sorted). */
const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const MAX_PARAMETER_SIZE = 256 * 1024;
const MAX_PARAMETER_LEN = 512;

function validateStorageClassOnly(sc: Obj): Errs {
  const errs: Errs = [];
  // validateProvisioner: required, and a qualified name once lower-cased
  const provisioner = str(sc.provisioner);
  if (!provisioner) required(errs, 'provisioner');
  else each(errs, 'provisioner', provisioner, qualifiedName(provisioner.toLowerCase()));
  // validateParameters
  const params = obj(sc.parameters);
  if (params) {
    const keys = Object.keys(params);
    if (keys.length > MAX_PARAMETER_LEN) {
      errs.push({ type: 'FieldValueTooLong', field: 'parameters', message: `may not have more than ${MAX_PARAMETER_LEN} items` });
    } else {
      let size = 0;
      for (const k of keys) {
        if (k.length < 1) invalid(errs, 'parameters', k, 'field can not be empty.');
        size += Buffer.byteLength(k) + Buffer.byteLength(str(params[k]));
      }
      if (size > MAX_PARAMETER_SIZE) errs.push({ type: 'FieldValueTooLong', field: 'parameters', message: `may not be more than ${MAX_PARAMETER_SIZE} bytes` });
    }
  }
  // validateReclaimPolicy: an empty policy passes
  const reclaim = sc.reclaimPolicy;
  if (typeof reclaim === 'string' && reclaim && !RECLAIM_POLICIES.includes(reclaim)) notSupported(errs, 'reclaimPolicy', reclaim, RECLAIM_POLICIES);
  // validateVolumeBindingMode (defaulted to Immediate, so only a bad value fails)
  const mode = sc.volumeBindingMode;
  if (mode === undefined || mode === null) required(errs, 'volumeBindingMode');
  else if (!BINDING_MODES.includes(mode)) notSupported(errs, 'volumeBindingMode', mode, BINDING_MODES);
  return errs;
}

export function validateStorageClass(sc: Obj, old?: Obj): Errs {
  const errs = validateStorageClassOnly(sc);
  if (!old) return errs;
  if (!semanticEqualMaps(sc.parameters, old.parameters)) forbidden(errs, 'parameters', 'updates to parameters are forbidden.');
  if (str(sc.provisioner) !== str(old.provisioner)) forbidden(errs, 'provisioner', 'updates to provisioner are forbidden.');
  if ((sc.reclaimPolicy ?? '') !== (old.reclaimPolicy ?? '')) forbidden(errs, 'reclaimPolicy', 'updates to reclaimPolicy are forbidden.');
  if ((sc.volumeBindingMode ?? null) !== (old.volumeBindingMode ?? null)) invalid(errs, 'volumeBindingMode', sc.volumeBindingMode ?? null, 'field is immutable');
  return errs;
}

export function validateVolumeAttachment(va: Obj): Errs {
  const errs: Errs = [];
  const spec = obj(va.spec) ?? {};
  if (!str(spec.attacher)) required(errs, 'spec.attacher');
  const source = obj(spec.source) ?? {};
  const pv = typeof source.persistentVolumeName === 'string';
  const inline = !!obj(source.inlineVolumeSpec);
  const msg = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';
  if (!pv && !inline) required(errs, 'spec.source', msg);
  else if (pv && inline) forbidden(errs, 'spec.source', msg);
  if (!str(spec.nodeName)) required(errs, 'spec.nodeName');
  return errs;
}
