// Garbage collection by ownerReferences (Background, Foreground, Orphan), in-process.
export { gcAdmission, startGarbageCollector, validateOwnerReferences, FOREGROUND, ORPHAN, type GarbageCollector } from './collector.js';
