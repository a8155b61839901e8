/**
 * `kubeloop cloudsim ram ...`: edit the RAM policies of a running emulator (`kubeloop
 * cloudsim` or the one inside `kubeloop dev`) through its `/_sim/ram` API (docs/cloud.md).
 * The emulator is `--url`, else `$KUBELOOP_CLOUD_EMULATOR`, else the `cloud.url` of a running
 * `kubeloop dev` (`.kubeloop/dev.json`, or `--state-dir`'s), else http://127.0.0.1:8090.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';

interface Common { url?: string; stateDir?: string }
interface Who { user?: string; role?: string }

/** Where the emulator is (see the file comment). */
export function emulatorUrl(o: Common, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (o.url) return o.url.replace(/\/+$/, '');
  if (env.KUBELOOP_CLOUD_EMULATOR) return env.KUBELOOP_CLOUD_EMULATOR.replace(/\/+$/, '');
  const devJson = join(resolve(cwd, o.stateDir ?? '.kubeloop'), 'dev.json');
  try {
    const url = (JSON.parse(readFileSync(devJson, 'utf8')) as { cloud?: { url?: unknown } }).cloud?.url;
    if (typeof url === 'string' && url) return url;
  } catch { /* no kubeloop dev running here */ }
  return 'http://127.0.0.1:8090';
}

function principalPath(o: Who): string {
  if (!!o.user === !!o.role) throw new Error('name exactly one principal: --user <name> or --role <name>');
  return o.user ? `users/${encodeURIComponent(o.user)}` : `roles/${encodeURIComponent(o.role!)}`;
}

/** A policy document from a file, `-` (stdin), or inline JSON. */
function readDocument(source: string): unknown {
  const text = source === '-' ? readFileSync(0, 'utf8') : source.trim().startsWith('{') ? source : readFileSync(source, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${source === '-' ? 'stdin' : source} is not valid JSON`);
  }
}

async function call(o: Common, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = emulatorUrl(o);
  let res: Response;
  try {
    res = await fetch(`${base}/_sim/ram${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  } catch (err) {
    throw new Error(`cannot reach the cloud emulator at ${base} (${(err as Error).cause ?? (err as Error).message}); pass --url or start it (kubeloop cloudsim, kubeloop dev)`);
  }
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = text; }
  if (!res.ok) {
    const m = json as { Code?: string; Message?: string };
    throw new Error(`${res.status} ${m?.Code ?? ''}: ${m?.Message ?? text}`);
  }
  return json;
}

const print = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');

function action<T extends unknown[]>(fn: (...args: T) => Promise<unknown>) {
  return async (...args: T) => {
    try {
      print(await fn(...args));
    } catch (err) {
      process.stderr.write(`kubeloop cloudsim ram: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  };
}

/** Adds `ram` and its subcommands to the `cloudsim` command. */
export function registerRam(cloudsim: Command): void {
  const ram = cloudsim
    .command('ram')
    .description('inspect and edit the RAM policies of a running emulator (users, roles, policies, attachments)')
    .option('--url <url>', 'the emulator (default: $KUBELOOP_CLOUD_EMULATOR, a running kubeloop dev, http://127.0.0.1:8090)')
    .option('--state-dir <dir>', 'the kubeloop dev state directory to find the emulator in (default .kubeloop)');
  const common = (): Common => ram.opts<Common>();

  ram.command('show').description('everything: account, users and keys, policies, attachments')
    .action(action(async () => call(common(), 'GET', '')));
  ram.command('put-policy <name> <document>').description('create or replace a custom policy from a file, - (stdin) or inline JSON')
    .option('--description <text>', 'the policy description')
    .action(action(async (name: string, doc: string, o: { description?: string }) => call(common(), 'PUT', `/policies/${encodeURIComponent(name)}`, o.description !== undefined ? { document: readDocument(doc), description: o.description } : readDocument(doc))));
  ram.command('delete-policy <name>').description('delete a custom policy (detaching it everywhere)')
    .action(action(async (name: string) => call(common(), 'DELETE', `/policies/${encodeURIComponent(name)}`)));
  ram.command('attach <policy>').description('attach a policy to a user or a role; with --document, create or replace it first')
    .option('--user <name>', 'a RAM user (the emulator\'s configured AccessKey is user kubeloop)')
    .option('--role <name>', 'a RAM role (its STS sessions are checked against it)')
    .option('--document <file|-|json>', 'the policy document to create or replace before attaching')
    .action(action(async (policy: string, o: Who & { document?: string }) => call(common(), 'PUT', `/${principalPath(o)}/policies/${encodeURIComponent(policy)}`, o.document ? readDocument(o.document) : undefined)));
  ram.command('detach <policy>').description('detach a policy from a user or a role')
    .option('--user <name>', 'a RAM user').option('--role <name>', 'a RAM role')
    .action(action(async (policy: string, o: Who) => call(common(), 'DELETE', `/${principalPath(o)}/policies/${encodeURIComponent(policy)}`)));
  ram.command('create-user <name>').description('add a RAM user with an AccessKey of its own (printed)')
    .action(action(async (name: string) => call(common(), 'PUT', `/users/${encodeURIComponent(name)}`)));
  ram.command('evaluate <action>').description('what RAM answers a user or a role calling <action> (e.g. vpc:CreateRouteEntry)')
    .option('--user <name>', 'a RAM user').option('--role <name>', 'a RAM role')
    .option('--resource <arn>', 'the resource ARN (default: all of the product\'s resources in the region)')
    .action(action(async (act: string, o: Who & { resource?: string }) => {
      principalPath(o);
      return call(common(), 'POST', '/evaluate', { ...(o.user ? { user: o.user } : { role: o.role }), action: act, ...(o.resource ? { resource: o.resource } : {}) });
    }));
}
