/**
 * python-zocalo's `slurm` configuration plugin, registered under `slurm` and `iris` as its entry points
 * are: a block names slurmrestd (`url`), the REST API version (`api_version`), and optionally the user
 * (`user`) and the JWT or a file holding it (`user_token`, kept as written: the client reads the file).
 * `slurmSettings(configuration)` gives an activated block's settings, the input of @zocalo/slurm's
 * `SlurmRestApi.fromSettings` (or `SlurmRestApi.fromZocaloConfiguration(configuration)`).
 *
 * ```yaml
 * slurm-live:
 *   plugin: slurm
 *   url: http://slurm-rest.example.com:6820
 *   user: zocalo
 *   user_token: /dls_sw/apps/zocalo/secrets/slurm-token
 *   api_version: v0.0.40
 * ```
 */
import type { ConfigurationPlugin, PluginBlock } from './plugins';

/** The settings of a `slurm` (or `iris`) block, by python-zocalo's keys. */
export interface SlurmPluginSettings {
  /** slurmrestd's base URL. */
  readonly url: string;
  /** The REST API version, e.g. `v0.0.40` (required, as in python-zocalo). */
  readonly api_version: string;
  /** The Slurm user the requests are made as (`X-SLURM-USER-NAME`). */
  readonly user?: string;
  /** The JWT, or the path of a file holding it (read by the client, at each request). */
  readonly user_token?: string;
  /** Other keys of the block, kept as written (python-zocalo keeps them too). */
  readonly [key: string]: unknown;
}

/** The plugin names python-zocalo registers for it (`zocalo.configuration.plugins` entry points). */
export const SLURM_PLUGIN_NAMES: readonly string[] = Object.freeze(['slurm', 'iris']);

/** The `slurm` plugin: python-zocalo's schema (url and api_version required), the block kept as written. */
export const slurmPlugin: ConfigurationPlugin = {
  schema: {
    type: 'object',
    required: ['plugin', 'url', 'api_version'],
    properties: {
      plugin: { type: 'string' },
      url: { type: 'string', description: "a string (slurmrestd's URL)" },
      api_version: { type: 'string', description: 'a string (the REST API version, e.g. v0.0.40)' },
      user: { type: 'string', description: 'a string' },
      user_token: { type: 'string', description: 'a string (the JWT, or a file holding it)' },
    },
  },
  activate(block: PluginBlock): SlurmPluginSettings {
    const { plugin: _plugin, ...settings } = block;
    return settings as SlurmPluginSettings;
  },
};

/**
 * The activated block of `cluster` (python-zocalo's `getattr(zc, cluster)`: `slurm` by default, `iris`
 * or another name registered for the plugin), or undefined when no environment activated one.
 */
export function slurmSettings(
  configuration: { readonly plugins: Readonly<Record<string, unknown>> },
  cluster = 'slurm',
): SlurmPluginSettings | undefined {
  const block = configuration.plugins[cluster];
  return typeof block === 'object' && block !== null ? (block as SlurmPluginSettings) : undefined;
}
