/**
 * `yaml`'s `parse` for the YAML the controllers read from ConfigMaps (ACR's acr-registry-info
 * and webhook-configuration, the autoscaler's priority expander), loaded on its first call
 * rather than with the controllers, from its one-file bundle (../cloud/vendor.ts) when the
 * build made one, else the package.
 */
import { createRequire } from 'node:module';
import { requireVendored } from '../cloud/index.js';

type Yaml = typeof import('yaml');
let yaml: Yaml | undefined;

/** `parse` of the `yaml` package (its default options), loading it on first use. */
export function parseYaml(text: string): unknown {
  yaml ??= requireVendored<Yaml>('yaml.cjs') ?? (createRequire(import.meta.url)('yaml') as Yaml);
  return yaml.parse(text);
}
