/**
 * The inspection and fault API under `/_sim/` (see docs/cloud.md): read, replace or
 * JSON-patch the state, convenience mutations behind the controllers' backs, fault
 * rules, call counts, STS credentials and the NDJSON stream of instance events.
 * Unauthenticated by design: the emulator listens on loopback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Operation } from 'fast-json-patch';
import { SimError, type Cloud, type InstanceEvent, type StaticInstanceRequest } from './cloud.js';
import type { Faults, FaultRule } from './faults.js';
import { defaultRam, type CloudState, type RegistryRepository } from './state.js';
import { readJson, sendJson } from './simhttp.js';
import { isRamName, ramProblems } from './ram.js';
import { policyProblems } from './ram-policy.js';
import { createRamApi } from './ram-api.js';
import { activityProblems, recordScaleIn } from './activities.js';

// required, not imported: Node 20 scans an imported CommonJS package (and what it re-exports) for export names (~5 ms a start)
const jsonpatch = createRequire(import.meta.url)('fast-json-patch') as typeof import('fast-json-patch').default;

/** The top-level fields of a state document and the JSON type each must have. */
const STATE_FIELDS: Record<Exclude<keyof CloudState, 'ram' | 'scalingActivities' | 'scalingRules'>, 'string' | 'number' | 'array'> = {
  regionId: 'string', vpcs: 'array', routeTables: 'array', instanceTypes: 'array', scalingGroups: 'array',
  scalingConfigurations: 'array', instances: 'array', registries: 'array', registryCredentials: 'array',
  registryBearers: 'array', slsProjects: 'array', slsTags: 'array', stsCredentials: 'array', ipSeq: 'number',
};

/**
 * What makes `doc` unusable as the whole emulated cloud (a field missing or of the wrong type,
 * a list holding a non-object): a partial document would make later API calls fail with 500s.
 */
export function stateProblems(doc: unknown): string[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ['the body must be a JSON object'];
  const out: string[] = [];
  for (const [field, type] of Object.entries(STATE_FIELDS)) {
    const v = (doc as Record<string, unknown>)[field];
    if (v === undefined) out.push(`"${field}" is missing`);
    else if (type === 'array' ? !Array.isArray(v) || v.some((x) => !x || typeof x !== 'object') : typeof v !== type) out.push(`"${field}" must be ${type === 'array' ? 'a list of objects' : `a ${type}`}`);
  }
  // RAM (optional: a document without it has no policies)
  const ram = (doc as Record<string, unknown>).ram;
  if (ram !== undefined) out.push(...ramProblems(ram));
  // STS credentials: their role and session policy are evaluated on every call they sign
  const sts = (doc as Record<string, unknown>).stsCredentials;
  if (Array.isArray(sts)) {
    sts.forEach((c, i) => {
      const x = (c ?? {}) as Record<string, unknown>;
      if (x.roleName !== undefined && typeof x.roleName !== 'string') out.push(`stsCredentials[${i}].roleName must be a string`);
      if (x.sessionName !== undefined && typeof x.sessionName !== 'string') out.push(`stsCredentials[${i}].sessionName must be a string`);
      const problems = x.policy === undefined ? [] : policyProblems(x.policy);
      if (problems.length) out.push(`stsCredentials[${i}].policy: ${problems.join('; ')}`);
    });
  }
  // ESS scaling activities (optional: a document without them has none)
  const activities = (doc as Record<string, unknown>).scalingActivities;
  if (activities !== undefined) out.push(...activityProblems(activities));
  return out;
}

type JsonType = 'array' | 'object' | 'string' | 'number' | 'boolean' | 'null';
const jsonType = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));

/**
 * Where `doc` departs from the shape of `ref` (the emulator's own state): a field every
 * reference entry has is missing, or holds another JSON type; lists hold items of the
 * reference's item type. The handlers read these fields without checking them again, so a
 * document of another shape would fail later calls with 500s.
 */
export function shapeProblems(doc: unknown, ref: unknown, path = '', depth = 0): string[] {
  if (depth > 6 || ref === undefined || ref === null) return [];
  const t = jsonType(ref);
  if (jsonType(doc) !== t) return [`${path || '/'} must be ${t === 'array' || t === 'object' ? `an ${t}` : `a ${t}`}`];
  if (t === 'array') {
    const refs = ref as unknown[];
    if (refs.length === 0) return [];
    const items = doc as unknown[];
    if (jsonType(refs[0]) !== 'object') return items.flatMap((item, i) => shapeProblems(item, refs[0], `${path}/${i}`, depth + 1)).slice(0, 10);
    // entries are objects: the fields every reference entry has are required, each compared
    // with a reference entry that has it
    const objs = refs.filter((r): r is Record<string, unknown> => jsonType(r) === 'object');
    const required = Object.keys(objs[0]).filter((k) => objs.every((o) => o[k] !== undefined && o[k] !== null));
    const merged: Record<string, unknown> = {};
    for (const o of objs) for (const [k, v] of Object.entries(o)) if (merged[k] === undefined && v !== null && v !== undefined) merged[k] = v;
    const out: string[] = [];
    items.forEach((item, i) => {
      if (jsonType(item) !== 'object') return void out.push(`${path}/${i} must be an object`);
      for (const k of required) if ((item as Record<string, unknown>)[k] === undefined) out.push(`${path}/${i}/${k} is missing`);
      out.push(...shapeProblems(item, merged, `${path}/${i}`, depth + 1));
    });
    return out.slice(0, 10);
  }
  if (t !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(ref as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    const d = (doc as Record<string, unknown>)[k];
    if (d === undefined) {
      // optional fields are absent from some entries: only those the reference entry has are compared
      continue;
    }
    out.push(...shapeProblems(d, v, `${path}/${k}`, depth + 1));
  }
  return out;
}

export interface SimApiDeps {
  cloud: Cloud;
  faults: Faults;
  /** open event streams, ended by stop() */
  streams: Set<ServerResponse>;
  issueStsToken(durationMs: number, roleName?: string): unknown;
  /** the configured AccessKeyId (user `kubeloop`'s), which RAM users' keys must not reuse */
  accessKeyId: string;
  /** What a candidate state document breaks (see server.ts), or undefined when it works. */
  probeState(candidate: CloudState): string | undefined;
  /** The state the emulator started with: the shape documents must have (see shapeProblems). */
  reference: CloudState;
}

export function createSimApi(deps: SimApiDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { cloud, faults, streams, issueStsToken, probeState, reference } = deps;
  const ramApi = createRamApi({ cloud, accessKeyId: deps.accessKeyId });
  /** Refuses a document that is not a whole state, or that the API would fail on. */
  const check = (doc: unknown, code: string, status: number, what: string): void => {
    // a document without RAM has no policies (every credential unrestricted)
    // nor scaling activities
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
      const d = doc as Record<string, unknown>;
      if (d.ram === undefined) d.ram = defaultRam();
      if (d.scalingActivities === undefined) d.scalingActivities = [];
    }
    const problems = stateProblems(doc);
    if (!problems.length) problems.push(...shapeProblems(doc, reference));
    if (problems.length) throw new SimError(code, `${what}: ${problems.join('; ')}`, status);
    const broken = probeState(structuredClone(doc) as CloudState);
    if (broken) throw new SimError(code, `${what}: ${broken}`, status);
  };
  return async function simApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    const st = cloud.state;
    if (path === '/_sim/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/_sim/ram' || path.startsWith('/_sim/ram/')) return ramApi(req, res, path, method);
    if (path === '/_sim/state') {
      if (method === 'GET') { cloud.tick(); return sendJson(res, 200, st); }
      if (method === 'PUT') {
        const next = await readJson(req);
        check(next, 'InvalidState', 400, 'not a usable cloudsim state document (GET /_sim/state gives one)');
        cloud.state = next as CloudState;
        cloud.changed();
        cloud.tick();
        return sendJson(res, 200, cloud.state);
      }
      if (method === 'PATCH') {
        // RFC 6902 JSON Patch against the state document, e.g.
        // [{"op":"remove","path":"/routeTables/0/entries/1"}]
        const ops = await readJson(req);
        if (!Array.isArray(ops)) throw new SimError('InvalidPatch', 'the body must be a JSON Patch (a list of operations)', 400);
        const copy = structuredClone(st);
        try {
          jsonpatch.applyPatch(copy, ops as Operation[], true, true);
        } catch (err) {
          throw new SimError('InvalidPatch', (err as Error).message, 422);
        }
        check(copy, 'InvalidPatch', 422, 'the patched state would be broken');
        cloud.state = copy;
        cloud.changed();
        cloud.tick();
        return sendJson(res, 200, cloud.state);
      }
    }
    if (path === '/_sim/faults') {
      if (method === 'GET') return sendJson(res, 200, { faults: faults.list() });
      if (method === 'POST') { faults.set(await readJson(req) as FaultRule | FaultRule[]); return sendJson(res, 200, { faults: faults.list() }); }
      if (method === 'DELETE') { faults.clear(); return sendJson(res, 200, { faults: [] }); }
    }
    if (path === '/_sim/calls') {
      if (method === 'GET') return sendJson(res, 200, { calls: faults.counts() });
      if (method === 'DELETE') { faults.resetCounts(); return sendJson(res, 200, { calls: {} }); }
    }
    if (path === '/_sim/sts' && method === 'POST') {
      // what the metadata service hands an ECS instance RAM role out: `roleName` names the role the credentials act as
      const body = (await readJson(req) ?? {}) as { durationSeconds?: number; durationMs?: number; roleName?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) throw new SimError('InvalidParameter', 'the body must be an object {durationSeconds?, roleName?}', 400);
      const ms = body.durationMs ?? (body.durationSeconds ?? 3600) * 1000;
      if (!(ms > 0)) throw new SimError('InvalidParameter', 'durationSeconds must be positive', 400);
      if (body.roleName !== undefined && (typeof body.roleName !== 'string' || !isRamName(body.roleName))) throw new SimError('InvalidParameter', 'roleName must be a RAM role name (letters, digits, ".", "_", "@", "-")', 400);
      return sendJson(res, 200, issueStsToken(ms, body.roleName));
    }
    // Convenience mutations (the same can be done with PATCH /_sim/state).
    let m = /^\/_sim\/route-entries\/([^/]+)$/.exec(path);
    if (m && method === 'DELETE') {
      for (const t of st.routeTables) {
        const before = t.entries.length;
        t.entries = t.entries.filter((e) => e.routeEntryId !== m![1]);
        if (t.entries.length !== before) { cloud.changed(); return sendJson(res, 200, { deleted: m[1] }); }
      }
      throw new SimError('NotFound', `route entry ${m[1]} not found`, 404);
    }
    if (path === '/_sim/instances' && method === 'POST') {
      // a worker outside any scaling group: a static node of the simulated cluster
      const body = await readJson(req) as StaticInstanceRequest;
      if (!body || typeof body.key !== 'string' || !body.key) throw new SimError('InvalidParameter', 'a static instance needs a key', 400);
      return sendJson(res, 200, cloud.addStaticInstance(body));
    }
    m = /^\/_sim\/instances\/([^/]+)$/.exec(path);
    if (m && method === 'DELETE') {
      const inst = st.instances.find((i) => i.instanceId === m![1]);
      if (!inst) throw new SimError('NotFound', `instance ${m[1]} not found`, 404);
      // The instance dies behind everyone's back; ESS's health check removes it and launches a
      // replacement to keep the group at its desired capacity: two scaling activities.
      const group = st.scalingGroups.find((g) => g.scalingGroupId === inst.scalingGroupId);
      const before = group ? cloud.groupInstances(group.scalingGroupId).length : 0;
      const now = Date.now();
      inst.creationType = 'AutoCreated';
      cloud.release(inst, now, true);
      if (group) {
        const trigger = { kind: 'health-check', instanceId: inst.instanceId } as const;
        recordScaleIn(st, group, [inst], trigger, before, now);
        cloud.reconcileGroup(group, now, trigger);
      }
      return sendJson(res, 200, { deleted: m[1] });
    }
    m = /^\/_sim\/sls\/([^/]+)\/configs\/([^/]+)$/.exec(path);
    if (m && (method === 'PATCH' || method === 'PUT')) {
      const cfg = st.slsProjects.find((p) => p.projectName === m![1])?.configs.find((c) => c.configName === m![2]);
      if (!cfg) throw new SimError('NotFound', `config ${m[1]}/${m[2]} not found`, 404);
      const body = await readJson(req) as Record<string, unknown>;
      if (!body || typeof body !== 'object') throw new SimError('InvalidParameter', 'the body must be an object', 400);
      if (method === 'PUT') Object.assign(cfg, body);
      else for (const [k, v] of Object.entries(body)) {
        const cur = (cfg as unknown as Record<string, unknown>)[k];
        (cfg as unknown as Record<string, unknown>)[k] = cur && typeof cur === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...cur, ...v } : v;
      }
      cfg.lastModifyTime = Math.floor(Date.now() / 1000);
      cloud.changed();
      return sendJson(res, 200, cfg);
    }
    m = /^\/_sim\/registries\/([^/]+)\/repositories$/.exec(path);
    if (m && method === 'POST') {
      const reg = st.registries.find((r) => r.instanceId === m![1] || r.instanceName === m![1]);
      if (!reg) throw new SimError('NotFound', `registry ${m[1]} not found`, 404);
      const repo = await readJson(req) as RegistryRepository;
      if (!repo?.namespace || !repo?.name || typeof repo.tags !== 'object') throw new SimError('InvalidParameter', 'a repository needs namespace, name and tags', 400);
      reg.repositories = reg.repositories.filter((r) => !(r.namespace === repo.namespace && r.name === repo.name));
      reg.repositories.push(repo);
      cloud.changed();
      return sendJson(res, 200, repo);
    }
    if (path === '/_sim/events' && method === 'GET') {
      // NDJSON stream of instance lifecycle events; current instances first unless ?initial=false
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
      res.flushHeaders();
      if (url.searchParams.get('initial') !== 'false') {
        for (const i of st.instances) res.write(JSON.stringify(cloud.instanceEvent(i.status === 'Running' ? 'Active' : 'Pending', i)) + '\n');
      }
      const onEvent = (e: InstanceEvent) => res.write(JSON.stringify(e) + '\n');
      cloud.events.on('instance', onEvent);
      streams.add(res);
      res.on('close', () => { cloud.events.off('instance', onEvent); streams.delete(res); });
      return;
    }
    throw new SimError('NotFound', `${method} ${path} is not part of the /_sim API`, 404);
  };
}
