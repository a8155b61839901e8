// The console of `kubeloop dev` in a real browser (Debian's Chromium driven by playwright-core):
// a person scales a Deployment beyond the cluster and breaks a VPC route behind the route
// controller's back, and the page shows — live, without a reload — the pending pods, the
// scale-up in the ESS panel and the new node, the missing route and its return. Screenshots of
// each step are saved (CONSOLE_SCREENSHOTS, default a temp folder) and compared for structure
// with e2e/console/structure.json, not pixel by pixel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually, kubectlFor, root, runDev, setFaults, simState, type DevProcess } from '../support/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const GOLDEN = join(root, 'e2e/console/structure.json');

/** What the page is made of, independent of the data shown: panels in order, their headings and table columns. */
interface Structure { panels: Array<{ id: string; title: string; columns: string[][] }> }

function structureOf(page: Page): Promise<Structure> {
  return page.evaluate(() => ({
    panels: [...document.querySelectorAll<HTMLElement>('section[data-panel]')].map((s) => ({
      id: s.dataset.panel!,
      title: s.querySelector('h2')?.textContent ?? '',
      // one entry per distinct table header row in the panel
      columns: [...new Set([...s.querySelectorAll('thead tr')].map((tr) => JSON.stringify([...tr.querySelectorAll('th')].map((th) => th.textContent ?? ''))))].map((j) => JSON.parse(j) as string[]),
    })),
  }));
}

/** Panels laid out as a page: each visible, none overlapping another, all inside the viewport's width. */
async function assertLayout(page: Page): Promise<void> {
  const boxes = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('section[data-panel]')].map((s) => {
    const r = s.getBoundingClientRect();
    return { id: s.dataset.panel!, x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height, vw: document.documentElement.clientWidth };
  }));
  for (const b of boxes) {
    assert.ok(b.w > 100 && b.h > 20, `panel ${b.id} is visible (${b.w}x${b.h})`);
    assert.ok(b.x >= 0 && b.x + b.w <= b.vw + 1, `panel ${b.id} fits the page width`);
  }
  for (const a of boxes) for (const b of boxes) {
    if (a === b) continue;
    const overlap = a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;
    assert.ok(!overlap, `panels ${a.id} and ${b.id} do not overlap`);
  }
}

/** The PNG's width and height, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('the console of kubeloop dev, in Chromium', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeloop-console-'));
  const shots = process.env.CONSOLE_SCREENSHOTS ?? join(dir, 'screenshots');
  let dev: DevProcess;
  let browser: Browser;
  let page: Page;
  const kubectl = kubectlFor(join(dir, 'kubeconfig'), dir);

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    mkdirSync(shots, { recursive: true });
    // short periods so the steps happen within the test's patience
    dev = await runDev(dir, ['--flag', 'route-reconciliation-period=3s', '--flag', 'scan-interval=2s']);
    assert.match(dev.info.console ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/, 'dev.json names the console');
    assert.ok(dev.output().includes(`console          ${dev.info.console}`), 'the banner names the console');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(dev.info.console!);
    await page.waitForSelector('body[data-ready=true]');
    assert.deepEqual(problems, [], 'the page runs without errors');
  });

  after(async () => {
    await browser?.close();
    if (dev && dev.child.exitCode === null) {
      dev.child.kill('SIGINT');
      await dev.exited;
    }
    if (!process.env.CONSOLE_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
  });

  const count = (selector: string) => page.locator(selector).count();
  const attr = async (selector: string, name: string) => Number(await page.locator(selector).first().getAttribute(name));

  async function shoot(name: string): Promise<void> {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const { width, height } = pngSize(file);
    assert.equal(width, 1400, `${name}.png is the page's width`);
    assert.ok(height >= 1000, `${name}.png holds the whole page (${height}px)`);
    await assertLayout(page);
    const structure = await structureOf(page);
    if (process.env.UPDATE_CONSOLE_STRUCTURE) writeFileSync(GOLDEN, JSON.stringify(structure, null, 2) + '\n');
    assert.deepEqual(structure, JSON.parse(readFileSync(GOLDEN, 'utf8')), `${name}.png: the page has the panels, headings and columns of e2e/console/structure.json`);
  }

  it('shows the nodes with their pods and identity, the controllers from their metrics, and the Events', async () => {
    await eventually('three Ready nodes drawn', async () => (await count('[data-panel=cluster] [data-node][data-state=ready]')) >= 3, 30_000, 200);
    // every node: an ECS identity, a podCIDR, and the system DaemonSets' pods drawn on it
    for (const n of await page.locator('[data-panel=cluster] [data-node]').all()) {
      assert.match(await n.innerText(), /cn-hangzhou\.i-/);
      await eventually('the system DaemonSet pods drawn on the node', async () => (await n.locator('.pod.daemon').count()) >= 3, 30_000, 200);
    }
    for (const c of ['route', 'cluster-autoscaler', 'log-config', 'acr-credential-helper']) {
      await eventually(`${c} in the controllers table`, async () => (await count(`[data-panel=controllers] tr[data-controller="${c}"]`)) === 1, 15_000, 200);
    }
    await eventually('a last full sync reported', async () => (await page.locator('[data-panel=controllers] [data-last-full-sync]').first().getAttribute('data-last-full-sync')) !== '', 30_000, 200);
    await eventually('a CreatedRoute Event in the stream', async () => (await count('[data-panel=events] tr[data-event=CreatedRoute]')) >= 1, 30_000, 200);
    // the filter narrows the stream to one object
    const node = await page.locator('[data-panel=cluster] [data-node]').first().getAttribute('data-node');
    await page.locator('[data-filter=events]').fill(`Node/${node}`);
    await eventually('only the node\'s Events after filtering', async () => {
      const objects = await page.locator('[data-panel=events] tbody tr td:nth-child(4)').allInnerTexts();
      return objects.length > 0 && objects.every((o) => o === `Node/${node}`);
    }, 10_000, 200);
    await page.locator('[data-filter=events]').fill('');
    await shoot('1-cluster');
  });

  it('a Deployment scaled beyond the cluster: pending pods, the scale-up in ESS, the new node, then nothing pending', async () => {
    const nodesBefore = await count('[data-panel=cluster] [data-node]');
    const desiredBefore = await attr('[data-panel=ess] [data-scaling-group]', 'data-desired');
    // each replica asks for 3 of a node's ~3.6 allocatable cores: one per node, and one more than there are nodes
    const replicas = nodesBefore + 1;
    const manifest = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'default' },
      spec: {
        replicas, selector: { matchLabels: { app: 'big' } },
        template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '3', memory: '1Gi' } } }] } },
      },
    };
    const r = await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
    assert.equal(r.code, 0, r.stderr);
    await eventually('pending pods shown', async () => (await attr('[data-panel=cluster] [data-pending]', 'data-pending')) >= 1, 30_000, 200);
    await shoot('2-pending');
    await eventually('the scaling group\'s desired capacity raised', async () => (await attr('[data-panel=ess] [data-scaling-group]', 'data-desired')) > desiredBefore, 60_000, 200);
    await eventually('the new node drawn Ready', async () => (await count('[data-panel=cluster] [data-node][data-state=ready]')) > nodesBefore, 90_000, 200);
    await eventually('no pod pending', async () => (await attr('[data-panel=cluster] [data-pending]', 'data-pending')) === 0, 60_000, 200);
    // bound is not yet Running: the kubelet starts the pod a moment later
    await eventually('every replica runs, one on the new node', async () => (await count('[data-panel=cluster] [data-pod^="default/big-"][data-phase=Running]')) === replicas, 30_000, 200);
    await shoot('3-scaled-up');
  });

  it('a route deleted behind the route controller\'s back shows as missing, then restored', async () => {
    const cloudUrl = dev.info.cloud!.url;
    const state = await simState({ url: cloudUrl });
    const table = state.routeTables[0];
    const entry = table.entries.find((e: { description: string }) => e.description.startsWith('kubeloop:cluster='));
    assert.ok(entry, 'the route controller made entries');
    const row = `[data-panel=vpc-routes] [data-route-table="${table.routeTableId}"] tr[data-route="${entry.destinationCidrBlock}"]`;
    await eventually('the route marked ok', async () => (await page.locator(row).getAttribute('data-mark')) === 'ok', 15_000, 200);
    // the route controller (3 s resync) could put the route back before the page's next poll
    // (2 s): its CreateRouteEntry answers 3 s late meanwhile, so "missing" lasts long enough to see
    await setFaults({ url: cloudUrl }, { action: 'CreateRouteEntry', latencyMs: 3000 });
    const res = await fetch(`${cloudUrl}/_sim/route-entries/${entry.routeEntryId}`, { method: 'DELETE' });
    assert.equal(res.status, 200, await res.text());
    await eventually('the route marked missing', async () => (await page.locator(row).getAttribute('data-mark')) === 'missing', 15_000, 200);
    await shoot('4-route-missing');
    await setFaults({ url: cloudUrl }, null);
    await eventually('the route marked ok again', async () => (await page.locator(row).getAttribute('data-mark')) === 'ok', 60_000, 200);
    await shoot('5-route-restored');
  });

  it('the RAM switch denies the route writes: a deleted route stays missing and its node NetworkUnavailable until Allow heals it', async () => {
    const cloudUrl = dev.info.cloud!.url;
    await page.locator('[data-action=ram-deny]').click();
    await eventually('the deny policy attached', async () => (await count('[data-panel=ram] tr[data-attachment="User/kubeloop/console-deny-route-writes"]')) === 1, 10_000, 200);
    const verdict = await (await fetch(`${cloudUrl}/_sim/ram/evaluate`, { method: 'POST', body: JSON.stringify({ user: 'kubeloop', action: 'vpc:CreateRouteEntry' }) })).json() as { decision: string };
    assert.equal(verdict.decision, 'ExplicitDeny', 'the emulator denies what the page switched off');
    const state = await simState({ url: cloudUrl });
    const table = state.routeTables[0];
    const entry = table.entries.find((e: { description: string }) => e.description.startsWith('kubeloop:cluster='));
    const node = (await page.locator(`[data-panel=vpc-routes] tr[data-route="${entry.destinationCidrBlock}"] td:nth-child(3)`).innerText()).trim();
    assert.equal((await fetch(`${cloudUrl}/_sim/route-entries/${entry.routeEntryId}`, { method: 'DELETE' })).status, 200);
    const row = `[data-panel=vpc-routes] [data-route-table="${table.routeTableId}"] tr[data-route="${entry.destinationCidrBlock}"]`;
    await eventually('the route marked missing', async () => (await page.locator(row).getAttribute('data-mark')) === 'missing', 15_000, 200);
    await eventually('the node reports NetworkUnavailable', async () => (await count(`[data-panel=cluster] [data-node="${node}"] [data-condition=NetworkUnavailable]`)) === 1, 60_000, 200);
    await shoot('6-ram-denied');
    await page.locator('[data-action=ram-allow]').click();
    await eventually('the route marked ok again', async () => (await page.locator(row).getAttribute('data-mark')) === 'ok', 60_000, 200);
    await eventually('the node\'s network available again', async () => (await count(`[data-panel=cluster] [data-node="${node}"] [data-condition=NetworkUnavailable]`)) === 0, 60_000, 200);
  });

  it('the fault switches break and heal the cloud from the page', async () => {
    await page.locator('[data-form=fault] select').first().selectOption('vpc');
    await page.locator('[data-form=fault] input').fill('CreateRouteEntry');
    await page.locator('[data-form=fault] button[type=submit]').click();
    await eventually('the deny rule listed', async () => (await count('[data-panel=faults] tr[data-fault="vpc:CreateRouteEntry"]')) === 1, 10_000, 200);
    const faults = await (await fetch(`${dev.info.cloud!.url}/_sim/faults`)).json() as { faults: Array<{ service?: string; action?: string; deny?: boolean }> };
    assert.deepEqual(faults.faults, [{ service: 'vpc', action: 'CreateRouteEntry', deny: true }], 'the emulator holds the rule the page set');
    await page.locator('[data-action=heal]').click();
    await eventually('no faults listed', async () => (await count('[data-panel=faults] tr[data-fault]')) === 0, 10_000, 200);
    // the cluster itself is read-only through the console
    const write = await fetch(`${dev.info.console}api/kube/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json', origin: dev.info.console!.replace(/\/$/, '') }, body: '{}' });
    assert.equal(write.status, 405);
  });
});
