/**
 * The `kubeloop` command the way the package installs it: package.json's `bin`, the bundle
 * scripts/bundle-packages.mjs builds (dist/bundle/cli/main.js). Suites start the CLI from here,
 * never from tsc's dist/src/cli/main.js: the CLI loads the project's extensions (@kubeloop/ack)
 * and `--module` files, which import `kubeloop` by name, and a child process runs without the
 * tests' `kubeloop-unbundled` condition, so the name means the bundle there — the CLI must be
 * the bundle too, or the child would hold two copies of the framework.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/e2e/support). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built `kubeloop` command: `node KUBELOOP_BIN <args>`. */
export const KUBELOOP_BIN = join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { kubeloop: string } }).bin.kubeloop);
