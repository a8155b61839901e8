// The admission chain's phases: plugins in registration order (late ones last), synchronous and
// asynchronous plugins mixed without changing that order, the reinvocation pass, and errors of
// either kind rejecting the phase.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.js';
import type { ResourceType } from '../resources/index.js';
import { type AdmissionPlugin, type AdmissionRequest, AdmissionChain } from './index.js';

function request(): AdmissionRequest {
  const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } };
  return { operation: 'CREATE', type: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap' } as ResourceType, namespace: 'ns', name: 'a', object, dryRun: false };
}

/** A plugin that logs `name` in each phase, answering synchronously or after a timer. */
function plugin(name: string, log: string[], opts: { async?: boolean; late?: boolean; fail?: string } = {}): AdmissionPlugin {
  const step = (phase: string) => {
    const run = () => {
      log.push(`${phase}:${name}`);
      if (opts.fail === phase) throw new Error(`${name} refused`);
    };
    return opts.async ? new Promise<void>((resolve, reject) => setTimeout(() => { try { run(); resolve(); } catch (e) { reject(e); } }, 1)) : run();
  };
  return { name, late: opts.late, admit: () => step('admit'), validate: () => step('validate') };
}

describe('admission chain', () => {
  it('runs synchronous and asynchronous plugins in order, late ones last', async () => {
    const log: string[] = [];
    const chain = new AdmissionChain();
    chain.add(plugin('late', log, { late: true, async: true }));
    chain.add(plugin('a', log));
    chain.add(plugin('b', log, { async: true }));
    chain.add(plugin('c', log));
    await chain.admit(request());
    await chain.validate(request());
    assert.deepEqual(log, ['admit:a', 'admit:b', 'admit:c', 'admit:late', 'validate:a', 'validate:b', 'validate:c', 'validate:late']);
  });

  it('answers synchronously when every plugin did, with a promise when one was asynchronous', async () => {
    const log: string[] = [];
    const chain = new AdmissionChain();
    chain.add(plugin('a', log));
    chain.add(plugin('b', log));
    assert.equal(chain.admitNow(request()), undefined);
    assert.equal(chain.validateNow(request()), undefined);
    assert.deepEqual(log, ['admit:a', 'admit:b', 'validate:a', 'validate:b']);
    chain.add(plugin('c', log, { async: true }));
    const pending = chain.admitNow(request());
    assert.ok(pending instanceof Promise);
    await pending;
    assert.deepEqual(log.slice(4), ['admit:a', 'admit:b', 'admit:c']);
    // admit() and validate() always answer a promise
    assert.ok(new AdmissionChain().admit(request()) instanceof Promise);
  });

  it('stops at a refusal: a synchronous one rejects admit() and throws from admitNow()', async () => {
    const log: string[] = [];
    const chain = new AdmissionChain();
    chain.add(plugin('a', log, { fail: 'admit' }));
    chain.add(plugin('b', log));
    await assert.rejects(chain.admit(request()), /a refused/);
    assert.throws(() => chain.admitNow(request()), /a refused/);
    assert.deepEqual(log, ['admit:a', 'admit:a']);
  });

  it('stops at an asynchronous refusal', async () => {
    const log: string[] = [];
    const chain = new AdmissionChain();
    chain.add(plugin('a', log, { async: true, fail: 'validate' }));
    chain.add(plugin('b', log));
    await assert.rejects(chain.validate(request()), /a refused/);
    assert.deepEqual(log, ['validate:a']);
  });

  it('runs the mutating phase once more when a plugin asks for reinvocation', async () => {
    const seen: [string, boolean][] = [];
    const chain = new AdmissionChain();
    chain.add({ name: 'asks', admit: (req) => { seen.push(['asks', req.reinvocation!.isReinvoke]); req.reinvocation!.requestReinvocation(); } });
    chain.add({ name: 'later', admit: async (req) => { seen.push(['later', req.reinvocation!.isReinvoke]); } });
    await chain.admit(request());
    assert.deepEqual(seen, [['asks', false], ['later', false], ['asks', true], ['later', true]]);
  });

  it('skips a plugin for the types it does not apply to, asking once per type until the chain changes', async () => {
    const log: string[] = [];
    const asked: string[] = [];
    const chain = new AdmissionChain();
    chain.add(plugin('all', log));
    chain.add({ ...plugin('pods', log), appliesTo: (t) => (asked.push(t.resource), t.resource === 'pods') });
    chain.add(plugin('late', log, { late: true }));
    const cm = request();
    const pod: AdmissionRequest = { ...request(), type: { group: '', version: 'v1', resource: 'pods', kind: 'Pod' } as ResourceType };
    chain.admitNow(cm);
    chain.validateNow(cm);
    chain.admitNow(pod);
    chain.validateNow(pod);
    await chain.runWithoutLate(pod);
    await chain.runWithoutLate(cm);
    assert.deepEqual(log, [
      'admit:all', 'admit:late', 'validate:all', 'validate:late',
      'admit:all', 'admit:pods', 'admit:late', 'validate:all', 'validate:pods', 'validate:late',
      'admit:all', 'admit:pods', 'validate:all', 'validate:pods',
      'admit:all', 'validate:all',
    ]);
    assert.deepEqual(asked, ['configmaps', 'pods']);
    // a plugin added (or removed) later: the types' plugins are worked out again
    chain.add(plugin('b', log));
    log.length = 0;
    chain.admitNow(pod);
    assert.deepEqual(log, ['admit:all', 'admit:pods', 'admit:b', 'admit:late']);
    chain.remove('pods');
    log.length = 0;
    chain.admitNow(pod);
    assert.deepEqual(log, ['admit:all', 'admit:b', 'admit:late']);
    assert.deepEqual(asked, ['configmaps', 'pods', 'pods']);
  });
});
