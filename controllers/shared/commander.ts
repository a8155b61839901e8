/**
 * commander's `Option`, for the controllers' flags: required rather than imported, as the
 * framework's CLI loads commander (Node 20 scans a CommonJS package imported from an ES module
 * for its export names, ~6 ms of every start; the package's file and objects are the same).
 */
import { createRequire } from 'node:module';

export const { Option } = createRequire(import.meta.url)('commander') as typeof import('commander');
export type Option = import('commander').Option;
