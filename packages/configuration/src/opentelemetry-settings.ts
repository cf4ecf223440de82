/**
 * python-workflows' `opentelemetry` configuration plugin (`workflows.util.zocalo.configuration.OTEL`):
 * `host`, `port` and `timeout` (seconds, default 10), activated as `{ endpoint, timeout }` with the
 * endpoint `https://<host>:<port>/v1/traces`, exactly as Python builds it. Two keys of our own, which
 * Python's schema lets through and ignores: `scheme: http` for a collector without TLS, and `endpoint`
 * for a full URL (both for a local collector or a test receiver).
 */
import type { ConfigurationPlugin, PluginBlock } from './plugins';

/** What an `opentelemetry` block activates to (`configuration.plugins.opentelemetry`). */
export interface OpenTelemetrySettings {
  /** The OTLP/HTTP traces URL. */
  readonly endpoint: string;
  /** Seconds an export may take. */
  readonly timeout: number;
}

export const OPENTELEMETRY_PLUGIN = 'opentelemetry';

export const opentelemetryPlugin: ConfigurationPlugin = {
  schema: {
    type: 'object',
    required: ['plugin', 'host', 'port'],
    properties: {
      plugin: { type: 'string' },
      host: { type: 'string', minLength: 1 },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'a port number (1-65535)' },
      timeout: { type: 'integer', minimum: 1, description: 'seconds an export may take' },
      scheme: { enum: ['http', 'https'] },
      endpoint: { type: 'string', pattern: '^https?://', description: 'an http:// or https:// URL' },
    },
  },
  activate(block: PluginBlock): OpenTelemetrySettings {
    const scheme = typeof block.scheme === 'string' ? block.scheme : 'https';
    const endpoint =
      typeof block.endpoint === 'string'
        ? block.endpoint
        : `${scheme}://${String(block.host)}:${String(block.port)}/v1/traces`;
    return { endpoint, timeout: typeof block.timeout === 'number' ? block.timeout : 10 };
  },
};

/** The tracing settings of an activated configuration, if it has an `opentelemetry` block. */
export function openTelemetrySettings(
  plugins: Readonly<Record<string, unknown>>,
): OpenTelemetrySettings | undefined {
  const value = Object.prototype.hasOwnProperty.call(plugins, OPENTELEMETRY_PLUGIN)
    ? plugins[OPENTELEMETRY_PLUGIN]
    : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const { endpoint, timeout } = value as Partial<OpenTelemetrySettings>;
  return typeof endpoint === 'string' && typeof timeout === 'number' ? { endpoint, timeout } : undefined;
}
