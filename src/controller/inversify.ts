/**
 * The inversify API the framework uses, from one module. inversify ships as ~250 small ES
 * modules, and Node's ES module loader costs about half a millisecond of CPU per module: the
 * build (scripts/bundle-deps.mjs, part of `npm run build` and `npm pack`) replaces this
 * module's JavaScript with one esbuild bundle of the same exports, which every process
 * importing the framework loads in ~15 ms instead of ~150 ms. Without that step (a bare
 * `tsc -b`) this file's plain re-export works the same, only slower.
 *
 * The bundle is a copy of inversify: the framework's Container reads the metadata inversify's
 * decorators keep with reflect-metadata under fixed string keys, so classes decorated with a
 * user's own `inversify` import (`@injectable`, `@inject`) resolve in it as well.
 */
export { Container, ContainerModule, inject, injectable, optional, type Newable } from 'inversify';
