/** `kubeloop init <dir>`: scaffolds a new operator project (see ../init/). */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('init')
    .description('scaffold a new operator project: a custom resource, its controller, a test, generators, Dockerfile, Helm chart, kind targets')
    .argument('<dir>', 'where to create the project (must not exist, or be empty)')
    .option('--name <name>', 'npm package and operator name (default: the directory name)')
    .option('--group <group>', 'API group of the example custom resource', 'example.com')
    .option('--kind <Kind>', 'kind of the example custom resource', 'Guestbook')
    .option('--kubeloop-version <spec>', 'the kubeloop dependency written into package.json (default: this kubeloop\'s version)')
    .action(async (dir: string, o: { name?: string; group: string; kind: string; kubeloopVersion?: string }) => {
      const { scaffold } = await import('../init/index.js');
      const r = scaffold({ dir, name: o.name, group: o.group, kind: o.kind, kubeloopVersion: o.kubeloopVersion });
      process.stdout.write(`created ${r.files.length} files in ${r.dir}\n\nNext:\n  cd ${r.relativeDir}\n  npm install\n  npm test\n  npm run build && npx kubeloop generate crds\n`);
    });
}
