/**
 * `kubeloop generate crds|rbac`: writes the CRD manifests and the ClusterRole derived from
 * the controllers' declarations. The controllers and custom resources are those the given
 * modules EXPORT (directly or in exported arrays/objects; see collectExports): `--module`
 * paths (compiled .js, or .ts sources of this project, which map to their dist/ output), by
 * default the project's `controllers/index`. `--check` writes nothing and fails when a file
 * is stale.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { generateCrdFiles, generateRbacYaml, staleFiles, collectExports, type ExportedDeclarations } from '../../controller/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const distRoot = resolve(here, '../../..');
const projectRoot = resolve(distRoot, '..');

/** Maps a module argument to an importable file. */
export function resolveModule(p: string): string {
  const abs = resolve(p);
  if (abs.endsWith('.ts') && !abs.endsWith('.d.ts')) {
    const rel = relative(projectRoot, abs);
    if (rel.startsWith('..')) throw new Error(`${p}: TypeScript sources must be inside the project (${projectRoot}); pass the compiled .js`);
    return join(distRoot, rel.replace(/\.ts$/, '.js'));
  }
  return abs;
}

async function loadModules(modules: string[] | undefined): Promise<ExportedDeclarations> {
  const list = modules && modules.length ? modules : [];
  if (list.length === 0) {
    const def = join(distRoot, 'controllers', 'index.js');
    if (!existsSync(def)) throw new Error('no --module given and controllers/index has not been built; run `npm run build` or pass --module');
    list.push(def);
  }
  const loaded: Record<string, unknown>[] = [];
  for (const m of list) {
    const file = resolveModule(m);
    if (!existsSync(file)) throw new Error(`module not found: ${m} (looked for ${file})`);
    loaded.push((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  }
  return collectExports(loaded);
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function register(program: Command): void {
  const gen = program.command('generate').description('generate CRD manifests and RBAC from the controllers\' declarations');

  gen
    .command('crds')
    .description('write a CustomResourceDefinition per custom resource defined with defineCustomResource')
    .option('--out <dir>', 'output directory', 'crds')
    .option('-m, --module <path>', 'module that registers controllers/kinds (repeatable; default controllers/index)', collect)
    .option('--check', 'write nothing; fail when a generated file is missing or out of date')
    .action(async (opts: { out: string; module?: string[]; check?: boolean }) => {
      const found = await loadModules(opts.module);
      const files = generateCrdFiles(found.customResources);
      if (files.size === 0) throw new Error('the modules export no custom resources (defineCustomResource) nor controllers using them');
      emit(opts.out, files, !!opts.check, 'crds');
    });

  gen
    .command('rbac')
    .description('write the ClusterRole the registered controllers need')
    .option('--out <file>', 'output file', 'charts/kubeloop/files/rbac/clusterrole.yaml')
    .option('--name <name>', 'ClusterRole name', 'kubeloop-manager')
    .option('-m, --module <path>', 'module that registers controllers (repeatable; default controllers/index)', collect)
    .option('--no-leader-election', 'leave out the Lease permissions')
    .option('--check', 'write nothing; fail when the file is missing or out of date')
    .action(async (opts: { out: string; name: string; module?: string[]; check?: boolean; leaderElection: boolean }) => {
      const found = await loadModules(opts.module);
      if (found.controllers.length === 0) throw new Error('the modules export no @Controller classes');
      const yaml = generateRbacYaml(found.controllers, opts.name, { leaderElection: opts.leaderElection });
      emit(dirname(opts.out), new Map([[basename(opts.out), yaml]]), !!opts.check, 'rbac');
    });
}

function emit(dir: string, files: Map<string, string>, check: boolean, what: string): void {
  if (check) {
    const stale = staleFiles(dir, files);
    if (stale.length) throw new Error(`generated ${what} out of date (run \`kubeloop generate ${what}\`): ${stale.join(', ')}`);
    process.stdout.write(`${what}: ${files.size} file(s) up to date\n`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of files) {
    writeFileSync(join(dir, name), content);
    process.stdout.write(`wrote ${join(dir, name)}\n`);
  }
}
