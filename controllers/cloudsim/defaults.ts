/**
 * The AccessKey pair the emulator accepts unless told otherwise; in a module of its own so
 * `kubeloop cloudsim`'s option defaults are known without loading the emulator.
 */
export const DEFAULT_ACCESS_KEY_ID = 'LTAI5tKubeloopSimulator';
export const DEFAULT_ACCESS_KEY_SECRET = 'kubeloop-simulator-secret';
