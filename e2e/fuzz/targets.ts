/**
 * The fuzz targets by name (`npm run fuzz -- --target NAME`). To fuzz another system (the
 * cloud emulator is next), implement FuzzTarget (target.ts) in a folder beside `apiserver/`
 * and add its factory here; the runner, client, generators of values and the CLI are shared.
 */
import { ApiServerTarget } from './apiserver/target.js';
import type { FuzzTarget } from './target.js';

export const TARGETS: Record<string, () => FuzzTarget> = {
  apiserver: () => new ApiServerTarget(),
};
