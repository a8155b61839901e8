/**
 * The fuzz targets by name (`npm run fuzz -- --target NAME`): the built-in API server and the
 * cloud emulator. Another system implements FuzzTarget (target.ts) in a folder beside these
 * and adds its factory here; the runner, client, generators of values and the CLI are shared.
 */
import { ApiServerTarget } from './apiserver/target.js';
import { CloudSimTarget } from './cloudsim/target.js';
import type { FuzzTarget } from './target.js';

export const TARGETS: Record<string, () => FuzzTarget> = {
  apiserver: () => new ApiServerTarget(),
  cloudsim: () => new CloudSimTarget(),
};
