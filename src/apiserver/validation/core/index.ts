// Validation of core/v1 kinds as kube-apiserver v1.32's pkg/apis/core/validation does it
// (pods, pod templates, services), with upstream's field paths and messages.
export { validatePodCreate, validatePodUpdate, validatePodStatusUpdate, POD_UPDATE_FORBIDDEN } from './pod.js';
export { validatePodSpec, validatePodTemplateSpec, validateTolerations } from './podspec.js';
export { validateService } from './service.js';
export { semanticEqual, goSpecDiff } from './diff.js';
export { type Errs, invalid, invalidRendered, required, forbidden, notSupported, nonNegative, obj, str, arr } from './errors.js';
export { percent } from './names.js';
export { validateConfigMap, validateSecret, MAX_SECRET_SIZE } from './configdata.js';
