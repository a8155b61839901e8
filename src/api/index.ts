// Public surface of the object model: GVK/GVR, object keys and metadata, Status errors,
// label and field selectors, deep copies. Every other part of kubeloop may import this folder.
export * from './copy.js';
export * from './gvk.js';
export * from './meta.js';
export * from './status.js';
export * from './selectors.js';
