// Child process of the durability suite (durability.ts): an API server on a data dir whose
// write-ahead log file fails a seeded fraction of appends with ENOSPC (half the batch written,
// as a full disk does), so failed writes and SIGKILL meet. Prints one JSON line when ready.
// Usage: node durability-child.js <dataDir> <failRate> <seed> <snapshotEvery>
import { startApiServer, openLogFile, type OpenLogFile } from '../../src/apiserver/index.js';
import { prng } from './durability.js';

const [dataDir, failRate, seed, snapshotEvery] = process.argv.slice(2);
const random = prng(Number(seed));
let armed = false; // start-up writes (system namespaces) must not fail

const walFile: OpenLogFile = (path) => {
  const real = openLogFile(path);
  return {
    ...real,
    append: async (data) => {
      if (armed && random() < Number(failRate)) {
        await real.append(data.subarray(0, data.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      await real.append(data);
    },
  };
};

const server = await startApiServer({ port: 0, dataDir, walFile, snapshotEvery: Number(snapshotEvery), bookmarkIntervalMs: 60_000 });
armed = true;
process.stdout.write(JSON.stringify({ url: server.url, kubeconfig: server.kubeconfig, caPem: server.caPem }) + '\n');
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
