/**
 * parseResourcePath reads a path's segments by their bounds and cuts out only those it returns.
 * Property test: on many random paths (API prefixes, watch, namespaces and the namespace's own
 * subresources, names, subresources, empty segments, extra slashes, percent-encoding good and
 * bad) it answers exactly what the split-based parser it replaced answered (kept here as the
 * reference), own properties included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResourcePath, parseTarget, type ResourcePath } from './request.js';
import { seededRandom } from '../../testing/index.js';

/** The parser as it was: split into segments, decode each when the path has `%`, then read them. */
function reference(pathname: string): ResourcePath | undefined {
  const decodeSegment = (s: string): string => {
    if (!s.includes('%')) return s;
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  let from = 0;
  let to = pathname.length;
  while (from < to && pathname.charCodeAt(from) === 47) from++;
  while (to > from && pathname.charCodeAt(to - 1) === 47) to--;
  const raw = pathname.slice(from, to).split('/');
  if (raw.includes('')) return undefined;
  const segs = pathname.includes('%') ? raw.map(decodeSegment) : raw;
  let i: number;
  let group: string;
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    i = 1;
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1];
    i = 2;
  } else return undefined;
  const out: ResourcePath = { group, version: segs[i++], watchPrefix: false };
  if (segs[i] === 'watch') {
    out.watchPrefix = true;
    i++;
  }
  if (segs[i] === 'namespaces' && segs.length - i > 1) {
    out.namespace = segs[i + 1];
    if (segs.length - i > 2 && !['status', 'finalize'].includes(segs[i + 2])) i += 2;
    else out.namespace = undefined;
  }
  out.resource = segs[i];
  out.name = segs[i + 1];
  out.subresource = segs.length - i > 3 ? segs.slice(i + 2).join('/') : segs[i + 2];
  return out;
}

/** mulberry32 (kubeloop/testing): the same cases on every run. */
const rng = seededRandom;

describe('parseResourcePath', () => {
  it('answers as the split-based parser on random paths', () => {
    const r = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const words = ['api', 'apis', 'v1', 'apps', 'watch', 'namespaces', 'default', 'status', 'finalize', 'configmaps', 'pods', 'cm-1', 'log', 'scale', '', '%61pi', '%2F', '%2e%2e', '%zz', 'a%20b', 'x.y', 'namespace%73'];
    const starts = [['api'], ['apis'], ['api', 'v1'], ['apis', 'apps', 'v1'], ['api', 'v1', 'namespaces'], ['api', 'v1', 'watch', 'namespaces'], []];
    let resources = 0;
    for (let c = 0; c < 50_000; c++) {
      const segs = [...pick(starts)];
      const extra = Math.floor(r() * 6);
      for (let k = 0; k < extra; k++) segs.push(pick(words));
      const lead = pick(['/', '', '//']);
      const trail = pick(['', '', '/', '//']);
      const p = lead + segs.join(r() < 0.05 ? '//' : '/') + trail;
      const got = parseResourcePath(p);
      const want = reference(p);
      assert.deepStrictEqual(got, want, p);
      if (got) {
        resources++;
        assert.deepEqual(Object.keys(got), Object.keys(want!), `own properties of ${p}`);
      }
    }
    assert.ok(resources > 10_000, `${resources} resource paths`);
  });

  it('reads the paths clients send', () => {
    assert.deepStrictEqual(parseResourcePath('/api/v1/namespaces/default/configmaps'), { group: '', version: 'v1', watchPrefix: false, namespace: 'default', resource: 'configmaps', name: undefined, subresource: undefined });
    assert.deepStrictEqual(parseResourcePath('/apis/apps/v1/namespaces/x/deployments/d/scale/'), { group: 'apps', version: 'v1', watchPrefix: false, namespace: 'x', resource: 'deployments', name: 'd', subresource: 'scale' });
    assert.deepStrictEqual(parseResourcePath('/api/v1/namespaces/x/status'), { group: '', version: 'v1', watchPrefix: false, namespace: undefined, resource: 'namespaces', name: 'x', subresource: 'status' });
    assert.deepStrictEqual(parseResourcePath('/api/v1/namespaces/x/pods/p/a/b'), { group: '', version: 'v1', watchPrefix: false, namespace: 'x', resource: 'pods', name: 'p', subresource: 'a/b' });
    assert.equal(parseResourcePath('/api/v1/namespaces//configmaps'), undefined);
    assert.equal(parseResourcePath('/'), undefined);
  });

  it('cuts the path of a request target at its first ? or #, as the regular expression did', () => {
    const chars = ['/', 'a', '?', '#'];
    for (let len = 1; len <= 7; len++) {
      for (let k = 0; k < 4 ** len; k++) {
        let rest = '';
        for (let i = 0, x = k; i < len; i++, x = Math.floor(x / 4)) rest += chars[x % 4];
        const url = `/${rest}`;
        const end = url.search(/[?#]/);
        const path = end < 0 ? url : url.slice(0, end);
        assert.equal(parseTarget(url).path, path.length > 1 ? path.replace(/\/+$/, '') || '/' : path, url);
      }
    }
  });
});
