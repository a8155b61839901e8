/**
 * `kubeloop init`: writes a new operator project from ./templates (shipped with the package),
 * as kubebuilder's and operator-sdk's `init` do. Every template file ends in `.tmpl`; names and
 * contents get the placeholders below replaced; `_gitignore` becomes `.gitignore` (npm drops
 * files named .gitignore from packages).
 *
 *   __NAME__        npm package, operator, Helm chart and release name   guestbook-operator
 *   __KIND__        the custom resource's kind                           Guestbook
 *   __KIND_LOWER__  its lowercase form (file names, ConfigMap suffix)     guestbook
 *   __PLURAL__      its plural resource name                             guestbooks
 *   __GROUP__       its API group                                        example.com
 *   __KUBELOOP__    the kubeloop dependency spec                         ^0.1.0
 *   __TYPESCRIPT__  the typescript devDependency spec                    kubeloop's own
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ScaffoldOptions {
  /** Where to create the project: must not exist, or be empty. */
  dir: string;
  /** Default: the directory's name. Lowercase letters, digits and dashes (it names Kubernetes objects too). */
  name?: string;
  /** Default "example.com". */
  group?: string;
  /** Default "Guestbook". */
  kind?: string;
  /** Default: `^<this kubeloop's version>`; tests pass `file:<tarball>`. */
  kubeloopVersion?: string;
}

export interface ScaffoldResult {
  /** absolute */
  dir: string;
  /** relative to the working directory, for the "cd" hint */
  relativeDir: string;
  /** files written, relative to `dir` */
  files: string[];
}

/** The kubeloop package's root: the nearest folder above this module with a package.json. */
function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('kubeloop init: cannot find the kubeloop package root');
  }
}

/** Where the templates are: `src/cli/init/templates` in the package (sources, not compiled). */
export function templatesDir(): string {
  return join(packageRoot(), 'src', 'cli', 'init', 'templates');
}

/** A plural the way kubebuilder's flect pluralizes the common cases. */
export function pluralOf(lowerKind: string): string {
  if (/[^aeiou]y$/.test(lowerKind)) return `${lowerKind.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lowerKind)) return `${lowerKind}es`;
  return `${lowerKind}s`;
}

function check(what: string, value: string, re: RegExp, example: string): void {
  if (!re.test(value)) throw new Error(`invalid ${what} "${value}": expected something like ${example}`);
}

function listTemplates(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTemplates(p, join(prefix, name)));
    else if (name.endsWith('.tmpl')) out.push(join(prefix, name));
  }
  return out;
}

export function scaffold(o: ScaffoldOptions): ScaffoldResult {
  const dir = resolve(o.dir);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new Error(`${o.dir} exists and is not an empty directory; choose a new one`);
  }
  const name = o.name ?? basename(dir);
  check('--name', name, /^[a-z]([-a-z0-9]{0,51}[a-z0-9])?$/, 'guestbook-operator (lowercase letters, digits, dashes; it names the Helm release and its objects)');
  const kind = o.kind ?? 'Guestbook';
  check('--kind', kind, /^[A-Z][A-Za-z0-9]{0,62}$/, 'Guestbook (UpperCamelCase)');
  const group = o.group ?? 'example.com';
  check('--group', group, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, 'webapp.example.com (a DNS subdomain with a dot)');
  const own = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string; devDependencies?: Record<string, string> };
  const lower = kind.toLowerCase();
  const values: Record<string, string> = {
    __NAME__: name,
    __KIND_LOWER__: lower,
    __KIND__: kind,
    __PLURAL__: pluralOf(lower),
    __GROUP__: group,
    __KUBELOOP__: o.kubeloopVersion ?? `^${own.version}`,
    __TYPESCRIPT__: own.devDependencies?.typescript ?? '^7.0.2',
  };
  const fill = (text: string) => text.replace(/__(?:NAME|KIND_LOWER|KIND|PLURAL|GROUP|KUBELOOP|TYPESCRIPT)__/g, (m) => values[m]);
  const root = templatesDir();
  const files: string[] = [];
  for (const t of listTemplates(root)) {
    const target = fill(t.slice(0, -'.tmpl'.length)).replace(/(^|\/)_(gitignore|dockerignore)$/, '$1.$2');
    const out = join(dir, target.replace(/^chart\//, `chart/${name}/`));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, fill(readFileSync(join(root, t), 'utf8')));
    files.push(relative(dir, out));
  }
  return { dir, relativeDir: relative(process.cwd(), dir) || '.', files };
}
