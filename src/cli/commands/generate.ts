/**
 * `kubeloop generate crds|rbac|webhooks`: writes the CRD manifests, the ClusterRole and the
 * webhook configurations derived from the declarations. The controllers, webhooks and custom
 * resources are those the given modules EXPORT (directly or in exported arrays/objects; see collectExports): `--module`
 * paths (compiled .js, or .ts sources, which map to their compiled output through the nearest
 * tsconfig.json's rootDir/outDir), by default the controllers of the project's CLI extensions.
 * `--check` writes nothing and fails when a file is stale. The generators are imported by the
 * actions, so defining the command (`kubeloop --help`) does not load them.
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import type { ExportedDeclarations, WebhookManifestOptions } from '../../controller/index.js';
import type { CliExtension } from '../extension.js';
import { compiledPathOf } from '../project.js';

/** Maps a module argument to an importable file. */
export function resolveModule(p: string): string {
  const abs = resolve(p);
  if (/\.(m|c)?ts$/.test(abs) && !/\.d\.(m|c)?ts$/.test(abs)) return compiledPathOf(abs);
  return abs;
}

const generators = () => import('../../controller/index.js');

async function loadModules(modules: string[] | undefined, extensions: readonly CliExtension[]): Promise<ExportedDeclarations> {
  const { collectExports } = await generators();
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

interface EndpointFlags {
  service?: string;
  namespace?: string;
  servicePort?: string;
  url?: string;
  caBundleFile?: string;
  injectCaFrom?: string;
}

/** The flags that say where the API server reaches the webhook server (generate webhooks and crds). */
function endpointFlags(cmd: Command): Command {
  return cmd
    .option('--service <name>', 'the Service in front of the manager\'s webhook server (with --namespace)')
    .option('--namespace <ns>', 'namespace of --service')
    .option('--service-port <port>', 'port of --service', '443')
    .option('--url <base>', 'base URL of the webhook server instead of a Service (https://host:port; paths are appended)')
    .option('--ca-bundle-file <file>', 'PEM CA bundle to embed as caBundle (default: none, injected by cert-manager or the chart)')
    .option('--inject-ca-from <ns/certificate>', 'add the cert-manager.io/inject-ca-from annotation for cert-manager\'s CA injector');
}

/** The endpoint from the flags; undefined when neither --service nor --url is given. */
function endpointOptions(f: EndpointFlags): WebhookManifestOptions | undefined {
  if (f.service && f.url) throw new Error('pass --service or --url, not both');
  if (f.service && !f.namespace) throw new Error('--service needs --namespace');
  if (!f.service && !f.url) return undefined;
  const port = Number(f.servicePort ?? 443);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--service-port must be a port number, got ${f.servicePort}`);
  if (f.url && !/^https:\/\//.test(f.url)) throw new Error(`--url must be an https:// URL (the API server only calls webhooks over TLS), got ${f.url}`);
  return {
    endpoint: f.service ? { service: { name: f.service, namespace: f.namespace!, port } } : { url: f.url! },
    caBundle: f.caBundleFile ? readFileSync(f.caBundleFile, 'utf8') : undefined,
    injectCaFrom: f.injectCaFrom,
  };
}

export function register(program: Command, extensions: readonly CliExtension[]): void {
  const gen = program.command('generate').description('generate CRD manifests and RBAC from the controllers\' declarations');

  endpointFlags(
    gen
      .command('crds')
      .description('write a CustomResourceDefinition per custom resource defined with defineCustomResource (with the conversion webhook of those that have @Conversion classes; the --service/--url flags say where it is served)')
      .option('--out <dir>', 'output directory', 'crds')
      .option('-m, --module <path>', 'module that exports controllers/kinds (repeatable; default: the controllers of the project\'s kubeloop extensions)', collect)
      .option('--check', 'write nothing; fail when a generated file is missing or out of date'),
  ).action(async (opts: { out: string; module?: string[]; check?: boolean } & EndpointFlags) => {
    const found = await loadModules(opts.module, extensions);
    const { generateCrdFiles, staleFiles } = await generators();
    const files = generateCrdFiles(found.customResources, { conversions: found.webhooks, webhook: endpointOptions(opts) });
    if (files.size === 0) throw new Error('the modules export no custom resources (defineCustomResource) nor controllers using them');
    emit(opts.out, files, !!opts.check, 'crds', staleFiles);
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
      const { generateRbacYaml, staleFiles } = await generators();
      if (found.controllers.length === 0) throw new Error('the modules export no @Controller classes');
      const yaml = generateRbacYaml(found.controllers, opts.name, { leaderElection: opts.leaderElection });
      emit(dirname(opts.out), new Map([[basename(opts.out), yaml]]), !!opts.check, 'rbac', staleFiles);
    });

  endpointFlags(
    gen
      .command('webhooks')
      .description('write the MutatingWebhookConfiguration and ValidatingWebhookConfiguration of the @Webhook classes (AdmissionReview v1, sideEffects and failurePolicy as declared)')
      .option('--out <dir>', 'output directory (the file is manifests.yaml)', 'config/webhook')
      .option('--name <name>', 'name of both configurations', 'kubeloop-webhook')
      .option('-m, --module <path>', 'module that exports webhooks (repeatable; default: the webhooks of the project\'s kubeloop extensions)', collect)
      .option('--check', 'write nothing; fail when the file is missing or out of date'),
  ).action(async (opts: { out: string; name: string; module?: string[]; check?: boolean } & EndpointFlags) => {
    const found = await loadModules(opts.module, extensions);
    const { generateWebhookYaml, isWebhook, staleFiles } = await generators();
    const webhooks = found.webhooks.filter(isWebhook);
    if (webhooks.length === 0) throw new Error('the modules export no @Webhook classes');
    const endpoint = endpointOptions(opts);
    if (!endpoint) throw new Error('say where the API server reaches the webhooks: --service NAME --namespace NS, or --url https://host:port');
    emit(opts.out, new Map([['manifests.yaml', generateWebhookYaml(webhooks, opts.name, endpoint)]]), !!opts.check, 'webhooks', staleFiles);
  });
}

function emit(dir: string, files: Map<string, string>, check: boolean, what: string, staleFiles: (dir: string, files: Map<string, string>) => string[]): void {
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
