// Pod admission plugins kube-apiserver enables by default besides ServiceAccount's: Priority (and the system PriorityClasses), DefaultTolerationSeconds.
export { defaultTolerationSecondsAdmission, DEFAULT_TOLERATION_SECONDS, TAINT_NOT_READY, TAINT_UNREACHABLE } from './tolerations.js';
export { priorityAdmission, ensureSystemPriorityClasses, SYSTEM_PRIORITY_CLASSES, SYSTEM_CRITICAL_PRIORITY } from './priority.js';
