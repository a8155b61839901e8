// The extension's entry stays light and says what its load() brings: `kubeloop dev`'s
// description (given without loading) matches the dev hook, and `register` defines cloudsim
// and dev's --cloud-port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { loadExtensionParts } from 'kubeloop/cli';
import extension from './index.js';

test('the entry describes what load() brings: the dev hook\'s description and the controllers', async () => {
  assert.equal(extension.plugins, undefined, 'the entry itself imports no controllers');
  const [full] = await loadExtensionParts([extension], (m) => assert.fail(m));
  assert.equal(extension.devDescription, full.dev?.description);
  const names = (full.plugins ?? []).map((p) => p.name);
  assert.ok(names.length > 0);
  for (const n of names) assert.ok(extension.devDescription?.includes(n), `the description names ${n}`);
});

test('register defines `kubeloop cloudsim` and adds --cloud-port to `kubeloop dev`', () => {
  const program = new Command();
  program.command('dev');
  extension.register?.(program);
  assert.ok(program.commands.some((c) => c.name() === 'cloudsim'));
  assert.ok(program.commands.find((c) => c.name() === 'dev')?.options.some((o) => o.long === '--cloud-port'));
});
