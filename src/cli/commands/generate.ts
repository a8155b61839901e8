/**
 * `kubeloop generate crds|rbac`: writes the CRD manifests and the ClusterRole derived from
 * the controllers' declarations. The controllers and custom resources are those the given
 * modules EXPORT (directly or in exported arrays/objects; see collectExports): `--module`
 * paths (compiled .js, or .ts sources, which map to their compiled output through the nearest
 * tsconfig.json's rootDir/outDir), by default the controllers of the project's CLI extensions.
 * `--check` writes nothing and fails when a file is stale.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { generateCrdFiles, generateRbacYaml, staleFiles, collectExports, type ExportedDeclarations } from '../../controller/index.js';
import type { CliExtension } from '../extension.js';
import { compiledPathOf } from '../project.js';

/** Maps a module argument to an importable file. */
export function resolveModule(p: string): string {
  const abs = resolve(p);
  if (/\.(m|c)?ts$/.test(abs) && !/\.d\.(m|c)?ts$/.test(abs)) return compiledPathOf(abs);
  return abs;
}

async function loadModules(modules: string[] | undefined, extensions: readonly CliExtension[]): Promise<ExportedDeclarations> {
  const list = modules ?? [];
  if (list.length === 0) {
    const plugins = extensions.flatMap((e) => e.plugins ?? []);
    if (plugins.length === 0) throw new Error('no --module given and the project has no kubeloop CLI extension with controllers; pass --module <file> (the compiled .js, or a .ts source)');
    return collectExports([{ plugins }]);
  }
  const loaded: Record<string, unknown>[] = [];
  for (const m of list) {
    const file = resolveModule(m);
    if (!existsSync(file)) throw new Error(`module not found: ${m} (looked for ${file}; run your build first, e.g. \`npm run build\`)`);
    loaded.push((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  }
  return collectExports(loaded);
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function register(program: Command, extensions: readonly CliExtension[]): void {
  const gen = program.command('generate').description('generate CRD manifests and RBAC from the controllers\' declarations');

  gen
    .command('crds')
    .description('write a CustomResourceDefinition per custom resource defined with defineCustomResource')
    .option('--out <dir>', 'output directory', 'crds')
    .option('-m, --module <path>', 'module that exports controllers/kinds (repeatable; default: the controllers of the project\'s kubeloop extensions)', collect)
    .option('--check', 'write nothing; fail when a generated file is missing or out of date')
    .action(async (opts: { out: string; module?: string[]; check?: boolean }) => {
      const found = await loadModules(opts.module, extensions);
      const files = generateCrdFiles(found.customResources);
      if (files.size === 0) throw new Error('the modules export no custom resources (defineCustomResource) nor controllers using them');
      emit(opts.out, files, !!opts.check, 'crds');
    });

  gen
    .command('rbac')
    .description('write the ClusterRole the registered controllers need')
    .option('--out <file>', 'output file', 'config/rbac/role.yaml')
    .option('--name <name>', 'ClusterRole name', 'kubeloop-manager')
    .option('-m, --module <path>', 'module that exports controllers (repeatable; default: the controllers of the project\'s kubeloop extensions)', collect)
    .option('--no-leader-election', 'leave out the Lease permissions')
    .option('--check', 'write nothing; fail when the file is missing or out of date')
    .action(async (opts: { out: string; name: string; module?: string[]; check?: boolean; leaderElection: boolean }) => {
      const found = await loadModules(opts.module, extensions);
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
