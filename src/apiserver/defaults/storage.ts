/**
 * storage.k8s.io/v1 defaults (kube-apiserver v1.32, pkg/apis/storage/v1/defaults.go):
 * - SetDefaults_StorageClass: `reclaimPolicy` Delete, `volumeBindingMode` Immediate;
 * - SetDefaults_CSIDriver: `attachRequired` true, `podInfoOnMount` false, `storageCapacity`
 *   false, `fsGroupPolicy` ReadWriteOnceWithFSType, `volumeLifecycleModes` [Persistent],
 *   `requiresRepublish` false (seLinuxMount belongs to the SELinuxMount gate, off in 1.32).
 * CSINodes and VolumeAttachments have none.
 */
import { child, type Obj, ptr } from './types.js';

const STORAGE = 'storage.k8s.io';

export const STORAGE_DEFAULTS: Record<string, (o: Obj) => void> = {
  [`${STORAGE}/storageclasses`]: (o) => {
    ptr(o, 'reclaimPolicy', 'Delete');
    ptr(o, 'volumeBindingMode', 'Immediate');
  },
  [`${STORAGE}/csidrivers`]: (o) => {
    const spec = child(o, 'spec');
    if (!spec) return;
    ptr(spec, 'attachRequired', true);
    ptr(spec, 'podInfoOnMount', false);
    ptr(spec, 'storageCapacity', false);
    ptr(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    if (!Array.isArray(spec.volumeLifecycleModes) || spec.volumeLifecycleModes.length === 0) spec.volumeLifecycleModes = ['Persistent'];
    ptr(spec, 'requiresRepublish', false);
  },
};
