/**
 * @zocalo/configuration: python-zocalo's site configuration for TypeScript, and logging.
 *
 * - `loadConfiguration()` reads the YAML file of `ZOCALO_CONFIG` (`version: 1`, plugin blocks,
 *   `environments:`, `include:`), checks it, activates environments and returns a `Configuration`:
 *   which transport to use (`configuration.transport`, `await configuration.createTransport()`),
 *   logging levels and Graylog destinations (`configuration.createLogger()`), storage and the other
 *   plugins' blocks.
 * - `applyFlags()` / `configuration.withFlags()` put command-line flags (`--transport`,
 *   `--stomp-*`, `--rabbit-*`) over the file; `environmentsFromFlags()` reads `-e`, `--live`, `--test`.
 * - `createLogger()` makes the pino logger (JSON lines on stderr, pretty on a terminal, GELF to
 *   Graylog over UDP or TCP); `redact()` keeps secrets out of logs and status messages.
 */
export type { ConfigurationLoggerOptions, ConfigurationParts, TransportChoice } from './configuration';
export { Configuration, DEFAULT_TRANSPORT, applyFlags } from './configuration';
export type { LoadConfigurationOptions } from './load-configuration';
export { loadConfiguration } from './load-configuration';
export type { ConfigurationErrorCode, ConfigurationProblem } from './errors';
export { CONFIGURATION_ERROR_CODES, ConfigurationError, formatProblem } from './errors';
export type { CommandLineFlags } from './flags';
export {
  RABBIT_FLAGS,
  STOMP_FLAGS,
  environmentsFromFlags,
  mergeTransportFlags,
  normaliseFlags,
  transportFlagSettings,
  transportFromFlags,
} from './flags';
export type { GraylogSettings } from './graylog-settings';
export type { SlurmPluginSettings } from './slurm-settings';
export { SLURM_PLUGIN_NAMES, slurmPlugin, slurmSettings } from './slurm-settings';
export { knownTransport, knownTransports } from './transports';
export type { ConfigurationPlugin, ConfigurationPluginSearch, PluginBlock, PluginState } from './plugins';
export {
  canonicalTransportName,
  configurationPlugin,
  configurationPlugins,
  defaultPluginSearch,
  installedConfigurationPlugin,
  registerConfigurationPlugin,
} from './plugins';
export type { OpenTelemetrySettings } from './opentelemetry-settings';
export { OPENTELEMETRY_PLUGIN, openTelemetrySettings } from './opentelemetry-settings';
export type { LoggingSettings, VerbosityStep } from './logging-plugin';
export { levelFor } from './logging-plugin';
export { FILE_SCHEMA, RESERVED_KEYS } from './schema';
export { REDACTED, REDACT_PATHS, isSecretKey, redact } from './redact';
export type { CreateLoggerOptions } from './create-logger';
export { closeLogger, createLogger } from './create-logger';
export type { GelfDestination } from './gelf-destination';
export { DEFAULT_CHUNK_SIZE, createGelfDestination } from './gelf-destination';
export type { GelfMessage } from './gelf';
export { GELF_MAX_CHUNKS, GELF_MAX_CHUNK_SIZE, gelfChunks, gelfFieldName, gelfFromRecord } from './gelf';
export type { PinoLevel } from './levels';
export { pythonLevelName, syslogLevel, toPinoLevel } from './levels';
