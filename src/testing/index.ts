// `kubeloop/testing`: what envtest and controller-runtime's fakes are to Go operators, with no
// binaries — a built-in API server per test with CRDs installed (./env.ts), Managers wired to
// it, a helper pointing the server at a Manager's webhooks (./webhooks.ts), `eventually`
// waits, a fake clock that drives work queues, rate limiters and leader election (pass it as
// `ManagerOptions.clock`), `reconciled` and `drained` — waits for a controller to have run since
// a change, so "nothing happens" checks need no sleep (./reconciled.ts) — and a ReconcileContext for
// unit-testing one reconciler (./context.ts).
export { startTestEnv, type TestEnv, type TestEnvOptions } from './env.js';
export { installCrds } from './crds.js';
export { eventually, type Condition } from './eventually.js';
export { reconciled, drained, type ReconciledOptions } from './reconciled.js';
export { installWebhooks, type InstallWebhooksOptions } from './webhooks.js';
export { reconcileContext, type ReconcileContextOptions, type TestReconcileContext, type RecordedEvent } from './context.js';
export { FakeClock, type Clock } from '../queue/index.js';
export { crashManager } from './crash.js';
export { seededRandom } from './random.js';
