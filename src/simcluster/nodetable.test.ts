// The node table answers exactly what fitReasons and scoreNode answer for a plain pod on a plain node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeObject, PodObject } from '../controller/index.js';
import { NodeTable, tableCovers } from './nodetable.js';
import { fitReasons, scoreNode } from './predicates.js';
import { nonZeroRequests, podRequests } from './quantity.js';
import { SchedulerCache } from './schedcache.js';
import { seededRandom } from '../testing/index.js';

/** A seeded PRNG: the same cases on every run. */
const rng = seededRandom;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function node(r: () => number, i: number): NodeObject {
  const allocatable: Record<string, string> = {};
  const cpu = pick(r, ['4', '8', '500m', '0', '1.5', undefined]);
  if (cpu !== undefined) allocatable.cpu = cpu;
  const memory = pick(r, ['8Gi', '1Gi', '1536Mi', '0', undefined]);
  if (memory !== undefined) allocatable.memory = memory;
  const pods = pick(r, ['110', '3', '1', undefined]);
  if (pods !== undefined) allocatable.pods = pods;
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` }, spec: {},
    status: { allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
  } as NodeObject;
}

function pod(r: () => number, name: string, nodeName?: string, owner?: string): PodObject {
  const requests: Record<string, string> = {};
  const cpu = pick(r, ['100m', '250m', '1', '0', '3', undefined]);
  if (cpu !== undefined) requests.cpu = cpu;
  const memory = pick(r, ['128Mi', '1Gi', '0', '3Gi', undefined]);
  if (memory !== undefined) requests.memory = memory;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] } : {}) },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', resources: { requests } }] } as PodObject['spec'],
    status: { phase: 'Pending' },
  };
}

describe('node table', () => {
  it('covers requests of cpu and memory only', () => {
    assert.equal(tableCovers({}), true);
    assert.equal(tableCovers({ cpu: 100, memory: 1 }), true);
    assert.equal(tableCovers({ pods: 1, cpu: 1 }), true);
    assert.equal(tableCovers({ cpu: 1, 'nvidia.com/gpu': 1 }), false);
    assert.equal(tableCovers({ 'ephemeral-storage': 1 }), false);
  });

  it('fits and scores as fitReasons and scoreNode do, to the last bit, as pods come and go', () => {
    const r = rng(21);
    const owners = ['rs-a', 'rs-b'];
    for (let round = 0; round < 20; round++) {
      const cache = new SchedulerCache();
      const nodes = Array.from({ length: 12 }, (_, i) => node(r, i));
      let serial = 0;
      // some bound pods, some assumed ones
      for (let k = 0; k < 20; k++) {
        const on = pick(r, nodes).metadata.name!;
        const p = pod(r, `b${round}-${serial++}`, on, r() < 0.5 ? pick(r, owners) : undefined);
        cache.apply({ type: 'add', obj: p });
      }
      const states = cache.states(nodes);
      cache.takeChanged();
      const table = new NodeTable(nodes, states, (n, st) => cache.info(n, st));
      const check = () => {
        for (let c = 0; c < 30; c++) {
          const owner = r() < 0.5 ? pick(r, owners) : undefined;
          const p = pod(r, `q${round}-${serial++}`, undefined, owner);
          const req = podRequests(p);
          const nonZero = nonZeroRequests(p);
          for (let i = 0; i < nodes.length; i++) {
            const info = cache.info(nodes[i], states[i]);
            assert.equal(table.isPlain(i), info.plain);
            assert.equal(table.fits(i, req.cpu, req.memory), fitReasons(req, info).length === 0, `fit of ${JSON.stringify(req)} on ${JSON.stringify(info.allocatable)} - ${JSON.stringify(info.requested)} (${info.podCount} pods)`);
            const own = owner ? info.ownerCount(owner) : 0;
            assert.ok(Object.is(table.score(i, nonZero, own), scoreNode(p, nonZero, info, own)), 'the same score');
          }
        }
      };
      check();
      // assume, bind, fail and delete pods; rewrite the rows of the changed states
      for (let k = 0; k < 15; k++) {
        const on = pick(r, nodes).metadata.name!;
        const p = pod(r, `a${round}-${serial++}`, undefined, r() < 0.5 ? pick(r, owners) : undefined);
        cache.apply({ type: 'add', obj: p });
        const a = cache.assume(p, on, true);
        const outcome = r();
        if (outcome < 0.3) cache.finishBinding(a, false);
        else if (outcome < 0.7) {
          cache.finishBinding(a, true);
          const bound = { ...p, spec: { ...p.spec, nodeName: on } } as PodObject;
          cache.apply({ type: 'update', oldObj: p, obj: bound });
          if (r() < 0.3) cache.apply({ type: 'delete', obj: bound });
        }
      }
      const changed = cache.takeChanged();
      assert.ok(changed.size > 0);
      for (const st of changed) {
        const i = table.row(st);
        if (i !== undefined) table.write(i, cache.info(nodes[i], st));
      }
      check();
      assert.equal(cache.takeChanged().size, 0, 'taken: nothing changed since');
    }
  });
});
