/**
 * The `yaml` package, loaded on the first YAML body rather than at every server start (it is
 * ~25 ms of CPU to load, and kubectl and the client libraries send JSON).
 */
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let yaml: YamlModule | undefined;

/** `yaml`'s `parse`, loading the package on first use. */
export function parseYaml(text: string, options: { logLevel: 'error' }): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yaml.parse(text, options);
}
