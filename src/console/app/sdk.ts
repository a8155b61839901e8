/**
 * `kubeloop-console`: what panels use to read the cluster, the controllers' metrics and an
 * extension's upstream, and to register themselves. The page and every extension module share
 * this one instance (the page's import map points `kubeloop-console` here), so a list+watch of
 * one path is shared by every panel that shows it.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

// ---------------------------------------------------------------------------------------------
// Panels

export interface Panel {
  /** Unique id; also the `data-panel` attribute of its section (tests find panels by it). */
  id: string;
  title: string;
  /** Lower comes first. The built-in panels use 10 (cluster), 20 (controllers), 90 (events). */
  order?: number;
  /** Spans the whole width of the page. */
  wide?: boolean;
  render: () => ComponentChildren;
}

const panels: Panel[] = [];
const panelListeners = new Set<() => void>();

/** Adds a panel to the page (an extension module calls it from its default export). */
export function registerPanel(p: Panel): void {
  const i = panels.findIndex((x) => x.id === p.id);
  if (i >= 0) panels[i] = p;
  else panels.push(p);
  panels.sort((a, b) => (a.order ?? 50) - (b.order ?? 50));
  for (const l of panelListeners) l();
}

export function usePanels(): readonly Panel[] {
  const [, tick] = useState(0);
  useEffect(() => {
    const l = () => tick((n) => n + 1);
    panelListeners.add(l);
    return () => void panelListeners.delete(l);
  }, []);
  return panels;
}

/** What an extension module's default export receives. */
export interface ConsoleApi {
  registerPanel(p: Panel): void;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects: one list + watch per path, shared, restarted when it ends

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  [field: string]: unknown;
}

export interface Collection<T> {
  items: T[];
  /** True once the first list arrived. */
  synced: boolean;
  /** The last error of the list or the watch (cleared by the next successful list). */
  error?: string;
}

interface Feed {
  objects: Map<string, KubeObject>;
  synced: boolean;
  error?: string;
  listeners: Set<() => void>;
  stop?: () => void;
  snapshot: Collection<KubeObject>;
}

const feeds = new Map<string, Feed>();
const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function publish(f: Feed): void {
  f.snapshot = { items: [...f.objects.values()], synced: f.synced, error: f.error };
  for (const l of f.listeners) l();
}

/** Lists `path` (e.g. `/api/v1/pods`), then watches from the list's resourceVersion, for as long as anyone listens. */
function startFeed(path: string, f: Feed): void {
  let stopped = false;
  let abort = new AbortController();
  f.stop = () => { stopped = true; abort.abort(); };
  const sep = path.includes('?') ? '&' : '?';
  const run = async (): Promise<void> => {
    while (!stopped) {
      abort = new AbortController();
      try {
        const list = await fetch(`/api/kube${path}`, { signal: abort.signal });
        const body = await list.json() as { items?: KubeObject[]; metadata?: { resourceVersion?: string }; message?: string };
        if (!list.ok) throw new Error(body.message ?? `${list.status}`);
        f.objects = new Map((body.items ?? []).map((o) => [keyOf(o), o]));
        f.synced = true;
        f.error = undefined;
        publish(f);
        const watch = await fetch(`/api/kube${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${body.metadata?.resourceVersion ?? ''}`, { signal: abort.signal });
        if (!watch.ok || !watch.body) throw new Error(`watch: ${watch.status}`);
        await readLines(watch.body, (line) => {
          const ev = JSON.parse(line) as { type: string; object: KubeObject };
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') f.objects.set(keyOf(ev.object), ev.object);
          else if (ev.type === 'DELETED') f.objects.delete(keyOf(ev.object));
          else if (ev.type === 'ERROR') throw new Error((ev.object as { message?: string }).message ?? 'watch error');
          else return;
          publish(f);
        });
      } catch (err) {
        if (stopped) return;
        f.error = err instanceof Error ? err.message : String(err);
        publish(f);
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
}

async function readLines(body: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onLine(line);
    }
  }
}

/** Every object under an API path, kept current by a watch; e.g. `useKube('/api/v1/nodes')`. */
export function useKube<T extends KubeObject = KubeObject>(path: string): Collection<T> {
  const [, tick] = useState(0);
  let f = feeds.get(path);
  if (!f) {
    f = { objects: new Map(), synced: false, listeners: new Set(), snapshot: { items: [], synced: false } };
    feeds.set(path, f);
  }
  const feed = f;
  useEffect(() => {
    const l = () => tick((n) => n + 1);
    feed.listeners.add(l);
    if (!feed.stop) startFeed(path, feed);
    return () => {
      feed.listeners.delete(l);
      if (!feed.listeners.size) {
        feed.stop?.();
        feeds.delete(path);
      }
    };
  }, [path]);
  return feed.snapshot as Collection<T>;
}

// ---------------------------------------------------------------------------------------------
// Polling (metrics, extension upstreams)

export interface Polled<T> {
  data?: T;
  error?: string;
  /** Milliseconds since the epoch of the last successful poll. */
  at?: number;
  /** Polls again now (e.g. after a write). */
  refresh(): void;
}

/** GETs `url` every `everyMs` while mounted; `as` picks JSON or text. */
export function usePoll<T = unknown>(url: string, everyMs = 2000, as: 'json' | 'text' = 'json'): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; at?: number }>({});
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const r = await fetch(url);
        if (!r.ok) throw new Error(await errorText(r));
        const data = (as === 'json' ? await r.json() : await r.text()) as T;
        if (!stopped) setState({ data, at: Date.now() });
      } catch (err) {
        if (!stopped) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      }
      if (!stopped) timer = setTimeout(poll, everyMs);
    };
    void poll();
    return () => { stopped = true; clearTimeout(timer); };
  }, [url, everyMs, as, nonce]);
  return { ...state, refresh: () => setNonce((n) => n + 1) };
}

async function errorText(r: Response): Promise<string> {
  const text = await r.text();
  try {
    const j = JSON.parse(text) as { error?: string; message?: string; Message?: string };
    return j.message ?? j.Message ?? j.error ?? text;
  } catch {
    return text || `${r.status} ${r.statusText}`;
  }
}

/** Sends a JSON write through the console (only to paths an extension declared writable). */
export async function send(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<unknown> {
  const r = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw new Error(await errorText(r));
  const text = await r.text();
  return text ? JSON.parse(text) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text exposition format (the lines `/metrics` serves). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `match`. */
export function metricValue(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Units

/** A Kubernetes quantity as a number (cores for CPU, bytes for memory): `250m` -> 0.25, `1Gi` -> 2^30. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  const mult: Record<string, number> = {
    '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
  };
  return Number(m[1]) * (mult[m[2]] ?? 1);
}

export function formatBytes(n: number): string {
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) (n /= 1024, i++);
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)}${units[i]}`;
}

export function formatCores(n: number): string {
  return n < 1 ? `${Math.round(n * 1000)}m` : `${Number(n.toFixed(2))}`;
}

/** `5s`, `3m`, `2h`, `4d` since an RFC 3339 time or epoch ms. */
export function age(t: string | number | undefined, now = Date.now()): string {
  if (t === undefined || t === '') return '';
  const ms = now - (typeof t === 'number' ? t : Date.parse(t));
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** Re-renders the calling component every `ms` (for ages and countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
