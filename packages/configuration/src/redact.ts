/**
 * Secrets never reach a log line or a status message: `redact()` for any value, and the pino
 * `redact` paths that `createLogger` installs.
 */

/** What a secret is replaced by. */
export const REDACTED = '[redacted]';

/** Key names, lower case without `-`/`_`, that hold a secret wherever they appear. */
const SECRET_WORDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'credential',
  'apikey',
  'privatekey',
  'authorization',
];

/**
 * Whether a key names a secret: `password`, `pass` (and `--stomp-pass`, `rabbit-pass`), anything with
 * `secret`, `token`, `credential`, `api-key`, `private-key` or `authorization` in it, in any case.
 */
export function isSecretKey(key: string): boolean {
  const plain = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return plain.endsWith('pass') || SECRET_WORDS.some((word) => plain.includes(word));
}

/** `amqp://user:secret@host` → `amqp://user:[redacted]@host`. */
function redactUrl(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(/([a-z][a-z0-9+.-]{0,31}:\/\/[^:/@\s]{0,256}):[^@/\s]{1,1024}@/gi, `$1:${REDACTED}@`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Redacted copies of the objects met so far (an object shared by two fields is redacted in both). */
type Memo = Map<object, unknown>;

function walk(value: unknown, depth: number, memo: Memo): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (memo.has(value)) return memo.get(value);
  if (!Array.isArray(value) && !isPlainObject(value)) return value; // class instances redact themselves through toJSON()
  memo.set(value, '[Circular]');
  let result: unknown = value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const redacted = walk(item, depth + 1, memo);
      if (redacted !== item) (copy ??= [...value])[index] = redacted;
    });
    result = copy ?? value;
  } else {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const redacted =
        isSecretKey(key) && item !== undefined && item !== null && item !== ''
          ? REDACTED
          : walk(item, depth + 1, memo);
      if (redacted !== item) (copy ??= { ...value })[key] = redacted;
    }
    result = copy ?? value;
  }
  memo.set(value, result);
  return result;
}

/**
 * A copy of `value` with every secret replaced by `[redacted]`: values of secret keys (see
 * `isSecretKey`) at any depth of plain objects and arrays, and passwords inside URLs. Returns `value`
 * itself when it holds no secret.
 */
export function redact<T>(value: T): T {
  return walk(value, 0, new Map()) as T;
}

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
