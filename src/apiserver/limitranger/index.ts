// The LimitRanger admission plugin and LimitRange validation (upstream sources in admission.ts, validation.ts).
export { limitRangerAdmission } from './admission.js';
export { validateLimitRange, goQuantity } from './validation.js';
