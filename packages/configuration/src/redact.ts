/**
 * The pino `redact` paths that `createLogger` installs. The rule itself (`redact`, `isSecretKey`,
 * `redactCredentials`) is @zocalo/workflows', so that every package applies the same one.
 */
export { REDACTED, isSecretKey, redact, redactCredentials } from '@zocalo/workflows';

const PATH_KEYS = [
  'password',
  'pass',
  'secret',
  'token',
  'apiKey',
  'api_key',
  'authorization',
  'stomp-pass',
  'rabbit-pass',
  '--stomp-pass',
  '--rabbit-pass',
  'stompPass',
  'rabbitPass',
];

function pathOf(prefix: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}${prefix ? '.' : ''}${key}` : `${prefix}["${key}"]`;
}

/**
 * Paths for pino's `redact` option: the secret keys at the top of a log record and up to three
 * levels down (`settings.password`, `transport.settings.password`, `--stomp-pass`, ...).
 */
export const REDACT_PATHS: readonly string[] = ['', '*', '*.*', '*.*.*'].flatMap((prefix) =>
  PATH_KEYS.map((key) => pathOf(prefix, key)),
);
