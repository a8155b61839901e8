/**
 * reflect-metadata (the `Reflect` metadata polyfill that decorators and inversify need), loaded
 * where `import 'reflect-metadata'` stood: modules import this one first, so the polyfill is in
 * place at the same point of the module order, from the same file. It is required rather than
 * imported: Node 20 wraps a CommonJS package imported from an ES module after scanning its
 * source for export names, ~6 ms of every start per package (docs/performance.md, "Session 9").
 */
import { createRequire } from 'node:module';

createRequire(import.meta.url)('reflect-metadata');
