// The scheduler cache: bound pods from the informer's changes plus assumed pods, counted once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeObject, PodObject } from '../controller/index.js';
import type { StoreEvent } from '../informer/index.js';
import { SchedulerCache } from './schedcache.js';

const node = (name: string, extra: Partial<NodeObject['spec']> = {}): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { ...extra },
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, opts: { uid?: string; nodeName?: string; cpu?: string; phase?: string; owner?: string } = {}): PodObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name, namespace: 'default', uid: opts.uid ?? `uid-${name}`,
    ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: opts.owner, controller: true }] } : {}),
  },
  spec: { ...(opts.nodeName ? { nodeName: opts.nodeName } : {}), containers: [{ name: 'c', resources: { requests: { cpu: opts.cpu ?? '500m', memory: '1Gi' } } }] } as PodObject['spec'],
  status: { phase: opts.phase ?? 'Pending' },
});
const add = (obj: PodObject): StoreEvent<PodObject> => ({ type: 'add', obj });
const update = (oldObj: PodObject, obj: PodObject): StoreEvent<PodObject> => ({ type: 'update', obj, oldObj });
const del = (obj: PodObject): StoreEvent<PodObject> => ({ type: 'delete', obj });

describe('scheduler cache', () => {
  it('counts an assumed pod at once, and once more only when the informer shows it bound', () => {
    const c = new SchedulerCache();
    const n1 = node('n1');
    const p = pod('a');
    c.apply(add(p));
    assert.deepEqual([c.info(n1).podCount, c.info(n1).requested], [0, {}]);
    const a = c.assume(p, 'n1', true);
    assert.deepEqual([c.info(n1).podCount, c.info(n1).requested.cpu], [1, 500], 'assumed: counted before the binding returns');
    c.finishBinding(a, true);
    assert.ok(c.assumption('default/a'), 'bound but not seen yet: still assumed');
    assert.deepEqual([c.info(n1).podCount, c.info(n1).requested.cpu], [1, 500]);
    const bound = pod('a', { nodeName: 'n1' });
    c.apply(update(p, bound));
    assert.deepEqual([c.info(n1).podCount, c.info(n1).requested.cpu, c.info(n1).pods], [1, 500, [bound]], 'counted once, as the bound pod');
    assert.equal(c.assumption('default/a'), undefined);
    // a later update of the bound pod (e.g. its PodScheduled condition) replaces it, not adds it
    c.apply(update(bound, pod('a', { nodeName: 'n1' })));
    assert.deepEqual([c.info(n1).podCount, c.info(n1).requested.cpu], [1, 500]);
    c.apply(update(pod('a', { nodeName: 'n1' }), pod('a', { nodeName: 'n1', phase: 'Succeeded' })));
    assert.deepEqual([c.info(n1).podCount, c.info(n1).requested], [0, {}], 'terminated pods free their node');
  });

  it('forgets an assumed pod whose binding fails', () => {
    const c = new SchedulerCache();
    const p = pod('a');
    c.apply(add(p));
    const a = c.assume(p, 'n1', true);
    c.finishBinding(a, false);
    assert.equal(c.info(node('n1')).podCount, 0);
    assert.equal(c.assumption('default/a'), undefined);
  });

  it('keeps the assumption while the binding is in flight even when the informer already shows the pod bound', () => {
    const c = new SchedulerCache();
    const p = pod('a');
    c.apply(add(p));
    const a = c.assume(p, 'n1', true);
    c.apply(update(p, pod('a', { nodeName: 'n1' })));
    assert.equal(c.info(node('n1')).podCount, 1, 'not counted twice');
    assert.ok(c.assumption('default/a'), 'still binding: the scheduler must not decide about it again');
    c.finishBinding(a, true);
    assert.equal(c.assumption('default/a'), undefined);
    assert.equal(c.info(node('n1')).podCount, 1);
  });

  it('stops counting an assumed pod that is deleted or replaced by a pod of the same name', () => {
    const c = new SchedulerCache();
    const p = pod('a');
    c.apply(add(p));
    c.assume(p, 'n1', true);
    c.apply(del(p));
    assert.equal(c.info(node('n1')).podCount, 0, 'deleted');

    const q = pod('b');
    c.apply(add(q));
    const b = c.assume(q, 'n1', true);
    const replacement = pod('b', { uid: 'other' });
    c.apply(update(q, replacement));
    assert.equal(c.info(node('n1')).podCount, 0, 'replaced');
    c.finishBinding(b, false);
    // the replacement can be assumed (and its own binding is not disturbed by the old one's)
    const b2 = c.assume(replacement, 'n1', true);
    c.finishBinding(b, true);
    assert.equal(c.assumption('default/b'), b2);
    assert.equal(c.info(node('n1')).podCount, 1);
  });

  it('does not count an assumed pod the informer does not show unbound', () => {
    const c = new SchedulerCache();
    c.assume(pod('a'), 'n1', false);
    assert.equal(c.info(node('n1')).podCount, 0);
  });

  it('forget drops an assumption whatever its state', () => {
    const c = new SchedulerCache();
    const p = pod('a');
    c.apply(add(p));
    const a = c.assume(p, 'n1', true);
    c.forget('default/a');
    assert.equal(c.info(node('n1')).podCount, 0);
    c.finishBinding(a, true);
    assert.equal(c.assumption('default/a'), undefined);
  });

  it('reuses a NodeInfo until the node object or its pods change', () => {
    const c = new SchedulerCache();
    const n1 = node('n1');
    const first = c.info(n1);
    assert.equal(c.info(n1), first);
    assert.equal(first.plain, true);
    const tainted = node('n1', { taints: [{ key: 'k', effect: 'NoSchedule' }] } as Partial<NodeObject['spec']>);
    const second = c.info(tainted);
    assert.notEqual(second, first);
    assert.equal(second.plain, false, 'a tainted node is not plain');
    c.apply(add(pod('a', { nodeName: 'n1' })));
    const third = c.info(tainted);
    assert.notEqual(third, second);
    assert.equal(third.podCount, 1);
    const [st] = c.states([tainted]);
    assert.equal(c.info(tainted, st), third, 'by state: the same info');
  });

  it('counts pods per controller for spreading', () => {
    const c = new SchedulerCache();
    c.apply(add(pod('a', { nodeName: 'n1', owner: 'rs-1' })));
    c.apply(add(pod('b', { nodeName: 'n1', owner: 'rs-1' })));
    const p = pod('c', { owner: 'rs-1' });
    c.apply(add(p));
    c.assume(p, 'n1', true);
    c.apply(add(pod('d', { nodeName: 'n1', owner: 'rs-2' })));
    const info = c.info(node('n1'));
    assert.deepEqual([info.ownerCount('rs-1'), info.ownerCount('rs-2'), info.ownerCount('rs-3')], [3, 1, 0]);
    c.apply(del(pod('a', { nodeName: 'n1', owner: 'rs-1' })));
    assert.equal(c.info(node('n1')).ownerCount('rs-1'), 2);
  });
});
