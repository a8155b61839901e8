import { startCloudSim } from '@kubeloop/ack/cloudsim';
import { createAlibabaCloud } from '@kubeloop/ack/cloud';
const cloud = await startCloudSim({ port: 0 });
const api = createAlibabaCloud({ regionId: cloud.regionId, emulator: cloud.url, credentials: { accessKeyId: cloud.accessKeyId, accessKeySecret: cloud.accessKeySecret }, retry: { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 3 } });
const id = cloud.state.scalingGroups[0].scalingGroupId;
for (let k = 0; k < 3; k++) {
let t = performance.now();
for (let i = 0; i < 20; i++) await api.scaling.getScalingGroup(id);
console.log('20 getScalingGroup', Math.round(performance.now() - t));
t = performance.now();
for (let i = 0; i < 20; i++) await api.scaling.listScalingInstances(id);
console.log('20 listScalingInstances', Math.round(performance.now() - t));
}
console.log(process.cpuUsage()); await cloud.stop();
