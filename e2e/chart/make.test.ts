// The Makefile's image/kind/helm targets stop at once, saying where to get the missing tool,
// and `make chart-crds` makes the chart's crds/ a copy of the generated ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './harness.js';

/** A PATH holding only the tools the recipes need besides the one under test. */
function restrictedPath(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['make', 'sh', 'bash', 'node', 'cp', 'rm', 'mkdir', 'echo', 'test', 'cat']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    const path = r.stdout.trim();
    if (r.status === 0 && path.startsWith('/')) symlinkSync(path, join(bin, tool));
  }
  return bin;
}

function make(cwd: string, path: string, target: string) {
  const makeBin = spawnSync('sh', ['-c', 'command -v make'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(makeBin, 'make is installed');
  return spawnSync(makeBin, ['--no-print-directory', target], { cwd, encoding: 'utf8', env: { ...process.env, PATH: path } });
}

test('image, kind and helm targets fail fast with where to get the missing tool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-make-'));
  try {
    const path = restrictedPath(dir);
    const expect: Array<[string, string, string]> = [
      ['image', 'docker', 'https://docs.docker.com/engine/install/'],
      ['kind-up', 'kind', 'https://kind.sigs.k8s.io/'],
      ['kind-load', 'kind', 'https://kind.sigs.k8s.io/'],
      ['kind-down', 'kind', 'https://kind.sigs.k8s.io/'],
      ['helm-install', 'helm', 'https://helm.sh/docs/intro/install/'],
      ['helm-lint', 'helm', 'https://helm.sh/docs/intro/install/'],
      ['helm-template', 'helm', 'https://helm.sh/docs/intro/install/'],
      ['e2e-kind', 'kind', 'https://kind.sigs.k8s.io/'],
    ];
    for (const [target, tool, url] of expect) {
      const r = make(root, path, target);
      assert.equal(r.status, 2, `${target}: make exits 2 when a recipe fails\n${r.stderr}`);
      assert.ok(r.stderr.includes(`${tool} not found: install it from ${url} — make ${target} needs it`), `${target}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, new RegExp(`^${tool} `, 'm'), `${target}: ${tool} was not run`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('make chart-crds copies crds/*.yaml into the chart and drops stale copies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-make-crds-'));
  try {
    copyFileSync(join(root, 'Makefile'), join(dir, 'Makefile'));
    mkdirSync(join(dir, 'crds'));
    mkdirSync(join(dir, 'charts/kubeloop/crds'), { recursive: true });
    writeFileSync(join(dir, 'crds/log.alibabacloud.com_aliyunlogconfigs.yaml'), 'kind: CustomResourceDefinition\n');
    writeFileSync(join(dir, 'charts/kubeloop/crds/removed.example.com_olds.yaml'), 'kind: CustomResourceDefinition\n');
    const r = make(dir, process.env.PATH ?? '', 'chart-crds');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'charts/kubeloop/crds')), ['log.alibabacloud.com_aliyunlogconfigs.yaml']);
    assert.equal(readFileSync(join(dir, 'charts/kubeloop/crds/log.alibabacloud.com_aliyunlogconfigs.yaml'), 'utf8'), 'kind: CustomResourceDefinition\n');
    // no generated CRDs yet: an empty chart crds/, not an error
    rmSync(join(dir, 'crds/log.alibabacloud.com_aliyunlogconfigs.yaml'));
    assert.equal(make(dir, process.env.PATH ?? '', 'chart-crds').status, 0);
    assert.ok(existsSync(join(dir, 'charts/kubeloop/crds')));
    assert.deepEqual(readdirSync(join(dir, 'charts/kubeloop/crds')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
