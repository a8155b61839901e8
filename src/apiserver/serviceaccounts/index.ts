// ServiceAccounts: the `default` ServiceAccount per namespace, the ServiceAccount pod admission (with the projected token volume), the root CA ConfigMap per namespace.
export { startServiceAccountController, serviceAccountAdmission, DEFAULT_SERVICE_ACCOUNT } from './serviceaccounts.js';
export { mountServiceAccountToken, tokenVolumeSource, DEFAULT_API_TOKEN_MOUNT_PATH, SERVICE_ACCOUNT_VOLUME_PREFIX, ROOT_CA_CONFIGMAP } from './tokenvolume.js';
export { startRootCaPublisher } from './rootca.js';
