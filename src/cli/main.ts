#!/usr/bin/env node
// The `kubeloop` command's entry: ./program.ts assembles the commands. `kubeloop dev` runs its
// API server on a thread of its own, which loads the server's modules itself: it is spawned here,
// before the rest of the CLI loads (a static import is compiled before any module runs), so that
// it loads them while this thread loads the CLI's, the controllers' and the simulated cluster's
// (./commands/dev-preload.ts).
import module from 'node:module';
import { preloadApiServer } from './commands/dev-preload.js';

// Node 22.1+ keeps V8's compiled code of the modules on disk between runs (as npm and tsc do
// for themselves); most of a start is compiling the bundles. Node 20 has no such cache: a no-op.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

if (process.argv[2] === 'dev' && !process.argv.includes('--help') && !process.argv.includes('-h')) preloadApiServer();
await import('./program.js');
