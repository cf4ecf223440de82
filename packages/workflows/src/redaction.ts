/**
 * The one rule that keeps credentials out of every output (log records, GELF, command-line errors,
 * thrown error messages, plans, status broadcasts): `redact()` for any value, `redactCredentials()`
 * for any text, and `splitUrlCredentials()` to take the user info out of a URL a user wrote, so it
 * can be sent as a header instead of quoted back (Node's fetch refuses such a URL, and its error
 * repeats it, password and all).
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

/**
 * The text with the password of every URL in it replaced: `amqp://user:secret@host` →
 * `amqp://user:[redacted]@host`. Cheap for text without `://` and `@`.
 */
export function redactCredentials(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(/([a-z][a-z0-9+.-]{0,31}:\/\/[^:/@\s]{0,256}):[^@/\s]{1,1024}@/gi, `$1:${REDACTED}@`);
}

/** A URL without its user info, and the user and password that were in it (decoded). */
export interface UrlCredentials {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * Take the user info out of a URL (`http://guest:secret@host:15672/api` →
 * `http://host:15672/api`, `guest`, `secret`), so that it can travel as an `Authorization` header
 * and the URL be shown. A text that is not a URL is returned as it is.
 */
export function splitUrlCredentials(text: string): UrlCredentials {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text };
  }
  if (url.username === '' && url.password === '') return { url: text };
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  // URL adds a slash to a bare origin; keep the text as the user wrote it otherwise.
  const shown = text.endsWith('/') || url.pathname !== '/' ? url.href : url.href.replace(/\/$/, '');
  return { url: shown, username, password };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Redacted copies of the objects met so far (an object shared by two fields is redacted in both). */
type Memo = Map<object, unknown>;

function walk(value: unknown, depth: number, memo: Memo): unknown {
  if (typeof value === 'string') return redactCredentials(value);
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
