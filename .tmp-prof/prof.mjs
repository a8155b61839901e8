import { startApiServer } from '/work/wt-casafety/dist/src/apiserver/index.js';
import { KubeClient, loadKubeConfig } from '/work/wt-casafety/dist/src/client/index.js';
import { installAckSystemDaemonSets } from '@kubeloop/ack/cli';
import { World } from '/work/wt-casafety/dist/e2e/cluster-autoscaler/safety-world.js';
import { seededRandom } from '/work/wt-casafety/dist/src/testing/index.js';
const server = await startApiServer({ port: 0 });
const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfig }));
await installAckSystemDaemonSets(client);
const shared = { server, client };
const r = seededRandom(5);
const groups = [{ name: 'pool0', instanceType: 'ecs.g7.large', min: 0, max: 5, desired: 2, provisioning: 'fast', bootDelayMs: 0 }];
const w = new World(shared, r, groups, { nodes: ['0:5:asg-test0pool0'], scanInterval: '10s', maxNodeProvisionTime: '1m', scaleDownUnneededTime: '0s', scaleDownDelayAfterAdd: '0s' }, 'ack');
for (const m of ['randomEvents','clusterStep','settle','runAutoscaler','schedule','updatePdbs','register']) { const o = w[m].bind(w); w[m] = async (...a) => { const s = performance.now(); try { return await o(...a); } finally { const d = performance.now() - s; if (d > 30) console.log('  ', m, Math.round(d)); } }; }
let t = performance.now();
const lap = (s) => { const n = performance.now(); console.log(s, Math.round(n - t)); t = n; };
await w.start(); lap('start');
for (let i = 0; i < 10; i++) {
  await w.step(); lap('step ' + i);
}
await w.stop(); lap('stop');
client.close(); await server.stop();
