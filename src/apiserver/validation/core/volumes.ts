/**
 * A pod spec's volumes (pkg/apis/core/validation/validation.go v1.32, ValidateVolumes and
 * validateVolumeSource): names DNS-1123 labels and unique, exactly one source ("must specify a
 * volume type" at the volume, "may not specify more than 1 volume type" at the second source),
 * and the common checks of the sources pods use most: secret `secretName`, configMap `name`,
 * persistentVolumeClaim `claimName`, hostPath `path` and `type`, nfs `server`/`path`, and the
 * items (`key`, relative `path`, `mode`) and `defaultMode` of secret/configMap/downwardAPI/
 * projected sources. Returns the valid volumes by name, as upstream's `vols` map that mounts
 * are matched against (a volume with errors is not in it).
 */
import { type Errs, arr, duplicate, invalid, notSupported, obj, required, str } from './errors.js';
import { dns1123Label, each } from './names.js';

/** validateVolumeSource's order of sources. */
const SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs', 'flocker',
  'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'azureFile', 'vsphereVolume', 'photonPersistentDisk',
  'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO', 'configMap', 'csi', 'ephemeral', 'image',
];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';

function fileMode(errs: Errs, field: string, mode: unknown): void {
  if (typeof mode === 'number' && (mode < 0 || mode > 0o777)) invalid(errs, field, mode, FILE_MODE_MSG);
}

/** validateLocalNonReservedPath. */
function localNonReservedPath(errs: Errs, field: string, p: string): void {
  if (p.startsWith('/')) invalid(errs, field, p, 'must be a relative path');
  if (p.split(/[\\/]/).includes('..')) invalid(errs, field, p, "must not contain '..'");
  if (p.startsWith('..')) invalid(errs, field, p, "must not start with '..'");
}

/** validateKeyToPath for `items`. */
function items(errs: Errs, at: string, list: unknown): void {
  for (const [i, it] of arr(list).entries()) {
    const item = obj(it);
    if (!item) continue;
    const ia = `${at}.items[${i}]`;
    if (!str(item.key)) required(errs, `${ia}.key`);
    const p = str(item.path);
    if (!p) required(errs, `${ia}.path`);
    else localNonReservedPath(errs, `${ia}.path`, p);
    fileMode(errs, `${ia}.mode`, item.mode);
  }
}

function source(errs: Errs, at: string, kind: string, s: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const sa = `${at}.${kind}`;
  switch (kind) {
    case 'secret':
      if (!str(s.secretName)) required(errs, `${sa}.secretName`);
      fileMode(errs, `${sa}.defaultMode`, s.defaultMode);
      items(errs, sa, s.items);
      break;
    case 'configMap':
      if (!str(s.name)) required(errs, `${sa}.name`);
      fileMode(errs, `${sa}.defaultMode`, s.defaultMode);
      items(errs, sa, s.items);
      break;
    case 'downwardAPI':
      fileMode(errs, `${sa}.defaultMode`, s.defaultMode);
      break;
    case 'projected':
      fileMode(errs, `${sa}.defaultMode`, s.defaultMode);
      break;
    case 'persistentVolumeClaim':
      if (!str(s.claimName)) required(errs, `${sa}.claimName`);
      break;
    case 'hostPath': {
      const p = str(s.path);
      if (!p) required(errs, `${sa}.path`);
      else if (p.split(/[\\/]/).includes('..')) invalid(errs, `${sa}.path`, p, "must not contain '..'");
      if (s.type !== undefined && s.type !== null && !HOST_PATH_TYPES.includes(str(s.type))) notSupported(errs, `${sa}.type`, s.type, HOST_PATH_TYPES);
      break;
    }
    case 'nfs':
      if (!str(s.server)) required(errs, `${sa}.server`);
      if (!str(s.path)) required(errs, `${sa}.path`);
      else if (!str(s.path).startsWith('/')) invalid(errs, `${sa}.path`, s.path, 'must be an absolute path');
      break;
  }
}

export function validateVolumes(errs: Errs, at: string, list: unknown): Map<string, Record<string, unknown>> {
  const vols = new Map<string, Record<string, unknown>>();
  const vs = arr(list);
  for (let i = 0; i < vs.length; i++) {
    const v = obj(vs[i]);
    if (!v) continue;
    const va = `${at}[${i}]`;
    const before = errs.length;
    let n = 0;
    for (const kind of SOURCES) {
      const s = v[kind];
      if (s === undefined || s === null) continue;
      if (n > 0) {
        errs.push({ type: 'FieldValueForbidden', field: `${va}.${kind}`, message: 'may not specify more than 1 volume type' });
        continue;
      }
      n++;
      if (obj(s)) source(errs, va, kind, s);
    }
    if (n === 0) required(errs, va, 'must specify a volume type');
    const name = str(v.name);
    if (!name) required(errs, `${va}.name`);
    else each(errs, `${va}.name`, name, dns1123Label(name));
    // upstream records a name only for a valid volume: a duplicate of an invalid one is no Duplicate
    if (vols.has(name)) duplicate(errs, `${va}.name`, name);
    if (errs.length === before) vols.set(name, v);
  }
  return vols;
}

