// A manager in its own process for leader.test.ts: it campaigns for the Lease and prints
// {"leading":true} once it leads, so the test can SIGKILL it (no graceful release).
import 'reflect-metadata';
import { Controller, Manager, ConfigMap, silentLogger, type Reconciler } from '../../src/index.js';

@Controller({ for: ConfigMap, namespace: 'le', name: 'le-child' })
class Noop implements Reconciler {
  reconcile() {}
}

const [kubeconfigPath, leaseName, identity, duration, deadline, retry] = process.argv.slice(2);
const m = new Manager({
  kubeconfig: kubeconfigPath,
  leaderElection: { leaseName, leaseNamespace: 'le', identity, leaseDurationMs: Number(duration), renewDeadlineMs: Number(deadline), retryPeriodMs: Number(retry) },
  metricsBindAddress: false,
  logger: silentLogger(),
});
m.register(Noop);
await m.start();
const timer = setInterval(() => {
  if (m.isLeader) {
    process.stdout.write(JSON.stringify({ leading: true }) + '\n');
    clearInterval(timer);
  }
}, 20);
await m.wait();
