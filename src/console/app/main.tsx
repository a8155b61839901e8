/**
 * The console page: asks the server what it shows (/api/config), registers the built-in panels,
 * loads each extension's module (which registers its own) and renders them all, live.
 */
import { render } from 'preact';
import { registerPanel, usePanels, type ConsoleApi } from 'kubeloop-console';
import { ClusterPanel } from './cluster.js';
import { ControllersPanel } from './controllers.js';
import { EventsPanel } from './events.js';

interface Config { title: string; extensions: Array<{ name: string; module: string }>; metrics: Array<{ name: string }> }

function App({ config, failed }: { config: Config; failed: string[] }) {
  const panels = usePanels();
  return (
    <>
      <header>
        <h1>{config.title}</h1>
        <span class="muted">live: the API server's watches, the controllers' metrics{config.extensions.length ? `, ${config.extensions.map((e) => e.name).join(', ')}` : ''}</span>
      </header>
      {failed.map((f) => <p key={f} class="error">{f}</p>)}
      <main>
        {panels.map((p) => (
          <section key={p.id} data-panel={p.id} class={p.wide ? 'wide' : ''}>
            <h2>{p.title}</h2>
            {p.render()}
          </section>
        ))}
      </main>
    </>
  );
}

async function main(): Promise<void> {
  const config = await (await fetch('/api/config')).json() as Config;
  document.title = config.title;
  registerPanel({ id: 'cluster', title: 'Cluster', order: 10, wide: true, render: () => <ClusterPanel /> });
  registerPanel({ id: 'controllers', title: 'Controllers', order: 20, wide: true, render: () => <ControllersPanel targets={config.metrics} /> });
  registerPanel({ id: 'events', title: 'Events', order: 90, wide: true, render: () => <EventsPanel /> });
  const api: ConsoleApi = { registerPanel };
  const failed: string[] = [];
  for (const e of config.extensions) {
    try {
      const mod = await import(/* @vite-ignore */ e.module) as { default?: (api: ConsoleApi) => void };
      mod.default?.(api);
    } catch (err) {
      failed.push(`extension ${e.name} failed to load: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const root = document.getElementById('app')!;
  root.textContent = '';
  render(<App config={config} failed={failed} />, root);
  document.body.dataset.ready = 'true';
}

void main();
