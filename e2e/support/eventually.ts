/** Polling for a condition: the e2e suites use kubeloop/testing's `eventually` (one implementation). */
export { eventually, type Condition } from '../../src/testing/index.js';
