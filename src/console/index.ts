// The live console of `kubeloop dev`: a page showing the cluster, the controllers and what an
// extension adds (kubeloop's ACK extension: the emulated cloud), fed only by public surfaces.
// The page itself is src/console/app (built by scripts/build-console.mjs, not by tsc).
export { startConsole, type ConsoleOptions, type ConsoleServer, type ConsoleExtension, type ConsoleUpstream, type MetricsTarget } from './server.js';
