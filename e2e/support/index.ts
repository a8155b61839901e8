/**
 * Helpers shared by the e2e suites: polling (`eventually`), the in-process stack (API server,
 * cloud emulator, simulated cluster), the emulator's test endpoints, and the CLI and kubectl
 * as child processes.
 */
export { eventually, type Condition } from './eventually.js';
export { startStack, emulatorCloud, testManager, defaultServiceAccount, eventsFor, silent, type Obj, type Stack, type StackOptions } from './stack.js';
export { setFaults, setRamPolicy, deleteRamPolicy, cloudCalls, simState, credentialEnv } from './emulator.js';
export { runKubeloop, runController, runDev, kubectlFor, root, MAIN, type KubeloopProcess, type DevProcess, type RunControllerOptions, type KubectlResult } from './cli.js';
export {
  EXTERNAL, targetMode, externalTarget, externalCloud, assertInProcess, recordSkip, inProcessOnly, describeInProcess, missing, itNeeds, describeNeeds, uniqueName,
  withoutInProcess, emulatorState, emulatorPort, externalNamespace,
  type TargetMode, type ExternalTarget, type EmulatorEndpoint,
} from './target.js';
