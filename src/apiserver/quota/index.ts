// ResourceQuota: the admission plugin, kube-controller-manager's quota controller, the
// evaluators they share, and resource-list arithmetic (upstream sources in each file).
export { resourceQuotaAdmission } from './admission.js';
export { startQuotaController, type QuotaControllerOptions } from './controller.js';
export { evaluatorFor, objectCountName, type Evaluator } from './evaluators.js';
export { QuotaIndex } from './shared.js';
export { validateResourceQuota } from './validation.js';
export {
  type Q, type Usage, q, str, add, sub, cmp, count, usageOf, toList, addLists, mask, value, milliValue, MAX_MILLI_VALUE, ZERO, podContainerTotals,
} from './resourcelist.js';
