// ServiceAccounts: the `default` ServiceAccount per namespace and the ServiceAccount pod admission.
export { startServiceAccountController, serviceAccountAdmission, DEFAULT_SERVICE_ACCOUNT } from './serviceaccounts.js';
