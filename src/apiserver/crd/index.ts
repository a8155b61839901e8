// CustomResourceDefinitions: CRD admission, serving custom resource types, status, cleanup on deletion.
export { startCrdController, CRD_STORAGE_KEY, CLEANUP_FINALIZER, type CrdController } from './controller.js';
export { crdResourceTypes, compareVersions, effectiveNames, defaultCrd } from './types.js';
