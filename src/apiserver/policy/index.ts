// Pod policy subresources: pods/eviction with PodDisruptionBudgets, pods/binding with PodScheduled.
export { evictPod, MAX_DISRUPTED_POD_SIZE } from './eviction.js';
export { bindPod } from './binding.js';
