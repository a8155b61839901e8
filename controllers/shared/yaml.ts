/**
 * `yaml`'s `parse` for the YAML the controllers read from ConfigMaps (ACR's acr-registry-info
 * and webhook-configuration, the autoscaler's priority expander), loaded on its first call
 * rather than with the controllers, and from the one-file CommonJS bundle of the installed
 * package that scripts/bundle-deps.mjs writes to this package's dist/vendor/yaml.cjs: the same
 * code (its Node build), ~8 ms of CPU to load instead of ~38 ms for its 44 files. Without that
 * file (tsc's output alone) the package itself is loaded.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type Yaml = typeof import('yaml');
let yaml: Yaml | undefined;

/** Where scripts/bundle-deps.mjs writes the bundle; found by this package's package.json, from tsc's module or the bundle's. */
export function vendoredYamlPath(): string {
  return fileURLToPath(new URL('dist/vendor/yaml.cjs', import.meta.resolve('@kubeloop/ack/package.json')));
}

function load(): Yaml {
  const require = createRequire(import.meta.url);
  const vendored = vendoredYamlPath();
  return (existsSync(vendored) ? require(vendored) : require('yaml')) as Yaml;
}

/** `parse` of the `yaml` package (its default options), loading it on first use. */
export function parseYaml(text: string): unknown {
  yaml ??= load();
  return yaml.parse(text);
}
