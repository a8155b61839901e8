// The official Python client (Debian's python3-kubernetes 22.6.0) against `kubeloop dev`:
// client_checks.py, run by pytest, checks what the client's own e2e suite relies on (error
// bodies byte for byte, APIServices, Deployments whose pods run, watches). Missing Python
// packages fail the test with the apt-get line that installs them (.ci/run installs them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { checkPython, PYTHON, pytestSummary, run, startDev, type Dev } from './harness.js';

const CHECKS = resolve('e2e/python/client_checks.py');
/** The test functions of client_checks.py: each must run and pass. */
const COUNT = 6;

describe('the official Python client against kubeloop dev', () => {
  let dev: Dev;
  before(async () => {
    await checkPython();
    dev = await startDev();
  });
  after(async () => {
    await dev?.stop();
  });

  it('creates, conflicts, deletes, watches and runs workloads as against kube-apiserver', async (t) => {
    const r = await run(PYTHON, ['-P', '-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-rfE', `--rootdir=${dev.dir}`, CHECKS],
      { cwd: dev.dir, env: dev.env, timeoutMs: 300_000 });
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-80).join('\n');
    const s = pytestSummary(r.stdout);
    t.diagnostic(`pytest: ${r.stdout.trim().split('\n').pop()}`);
    assert.deepEqual({ failed: s.failed, errors: s.errors }, { failed: 0, errors: 0 }, tail);
    assert.equal(s.passed, COUNT, tail);
    assert.equal(r.code, 0, tail);
  });
});
