/**
 * How the ACK controllers reach Alibaba Cloud (or the emulator). Every ACK plugin offers the
 * same two flags, so `kubeloop run all` shows them once; the cloud clients are built on first
 * use and shared by every plugin of the process that asks with the same settings.
 */
import { Option } from './commander.js';
import type { PluginEnv } from 'kubeloop/cli';
import { createAlibabaCloud, alibabaCloudOptionsFromEnv, type AlibabaCloud } from '../cloud/index.js';

/** A plugin environment that may carry ready-made cloud clients (tests, `kubeloop dev`). */
export interface AckPluginEnv extends PluginEnv {
  /** Used as it is when present; otherwise built from the flags and `ALIBABA_CLOUD_*` env. */
  readonly cloud?: AlibabaCloud;
}

/** `--region-id` and `--cloud-emulator`, offered by every ACK plugin. */
export function cloudFlags(): Option[] {
  return [
    new Option('--region-id <id>', 'Alibaba Cloud region (default: $ALIBABA_CLOUD_REGION_ID)'),
    new Option('--cloud-emulator <url>', 'use the kubeloop cloud emulator at this URL instead of Alibaba Cloud (default: $KUBELOOP_CLOUD_EMULATOR)'),
  ];
}

/** Checks `--cloud-emulator` (a URL) without building anything. */
export function validateCloudFlags(flags: Readonly<Record<string, unknown>>): void {
  const url = flags.cloudEmulator;
  if (url === undefined) return;
  try {
    new URL(String(url));
  } catch {
    throw new Error(`invalid --cloud-emulator ${String(url)}: expected a URL such as http://127.0.0.1:8090`);
  }
}

const built = new Map<string, AlibabaCloud>();

/**
 * The cloud clients for `who` (a plugin name, for the error message): `env.cloud` when given,
 * else built from `--region-id`/`--cloud-emulator` and `ALIBABA_CLOUD_*` (once per settings).
 * The Error says what to set when credentials or region are missing.
 */
export function cloudOf(env: AckPluginEnv, who: string): AlibabaCloud {
  if (env.cloud) return env.cloud;
  const regionId = env.flags.regionId as string | undefined;
  const emulator = env.flags.cloudEmulator as string | undefined;
  const key = `${regionId ?? ''}|${emulator ?? ''}`;
  let cloud = built.get(key);
  if (!cloud) {
    try {
      cloud = createAlibabaCloud(alibabaCloudOptionsFromEnv(process.env, { ...(regionId ? { regionId } : {}), ...(emulator ? { emulator } : {}) }));
    } catch (err) {
      throw new Error(
        `${who} needs Alibaba Cloud: ${(err as Error).message} (pass --region-id and credentials in ` +
          'ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, or --cloud-emulator <url> for the kubeloop emulator; see docs/cloud.md)',
      );
    }
    built.set(key, cloud);
  }
  return cloud;
}
