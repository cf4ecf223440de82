/**
 * Safe header parsing for stompit's incoming frame parser: no header from the broker can crash the
 * process.
 *
 * stompit collects a frame's headers in a plain object and checks for repeats with
 * `this._headers.hasOwnProperty(name)`. A MESSAGE with a header named `hasOwnProperty` (any producer
 * can send one; ActiveMQ forwards it) replaced that method with a string, and the next header line
 * threw a TypeError out of the socket's data handler: an uncaughtException in every consumer of the
 * queue, again on each redelivery. `__proto__` was silently turned into nothing. Here every header
 * becomes an own data property (`__proto__` and `hasOwnProperty` included) and the repeat check does
 * not go through the object. A header with an escape STOMP does not define (`\t`; ActiveMQ forwards
 * what a producer sent) keeps it as literal text instead of failing the frame: stompit's fatal parse
 * error dropped the connection, the broker redelivered the message, and the consumer reconnected for
 * ever. And anything else the parser throws ends the connection as a parse error would (the owner logs
 * it and reconnects), never as an uncaught exception.
 *
 * Applied per parser instance, like the line reader (line-reader.ts); stompit itself stays untouched.
 */

/** The parts of stompit's IncomingFrameStream used here. */
interface HeaderParser {
  _chunk: Buffer;
  _paused: boolean;
  _headers: Record<string, string | number>;
  _numHeaders: number;
  _maxHeaders: number;
  _transformCallback: ((error?: Error) => void) | null;
  _parse: () => void;
  _parseLine(): string | null;
  _decode(text: string): string;
  _beginBody(): void;
  _continueTransform(): void;
}

const hasOwn = (object: object, name: string): boolean => Object.prototype.hasOwnProperty.call(object, name);

/** stompit's header line parser, with the header object treated as data only. */
function parseHeaderLine(this: HeaderParser): void {
  const line = this._parseLine();
  if (line === null) return;
  if (line.length === 0) {
    this._beginBody();
    return;
  }
  const separator = line.indexOf(':');
  if (separator === -1)
    throw new Error(`header parse error: a header line without ":" (${line.slice(0, 80)})`);
  const name = this._decode(line.substring(0, separator));
  const value = this._decode(line.substring(separator + 1));
  // STOMP: the first of repeated headers wins.
  if (hasOwn(this._headers, name)) return;
  if (this._numHeaders === this._maxHeaders)
    throw new Error(`too many headers (more than ${this._maxHeaders})`);
  Object.defineProperty(this._headers, name, { value, enumerable: true, writable: true, configurable: true });
  this._numHeaders += 1;
}

/** stompit's transform loop, with every error (not only its own ParseError) handed to the stream. */
function continueTransform(this: HeaderParser): void {
  this._paused = false;
  while (!this._paused && this._chunk.length > 0) {
    try {
      this._parse();
    } catch (error) {
      const callback = this._transformCallback;
      this._transformCallback = null;
      this._chunk = Buffer.alloc(0);
      callback?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
  }
  if (this._chunk.length === 0 && this._transformCallback && !this._paused) {
    const callback = this._transformCallback;
    this._transformCallback = null;
    callback();
  }
}

const ESCAPES: Readonly<Record<string, string>> = { r: '\r', n: '\n', c: ':', '\\': '\\' };

/** Decode STOMP escapes, keeping an undefined one (and a trailing backslash) as it is. */
function lenientDecode(text: string): string {
  return text.replace(/\\([\s\S])/g, (sequence, char: string) => ESCAPES[char] ?? sequence);
}

/** Make a stompit IncomingFrameStream parse headers safely (see the file comment). */
export function useSafeHeaders(parser: unknown): void {
  const target = parser as HeaderParser;
  // stompit sets `_decode` for the negotiated version; a value it refuses is decoded leniently.
  let decode = target._decode;
  const tolerant = (text: string): string => {
    try {
      return decode.call(target, text);
    } catch {
      return lenientDecode(text);
    }
  };
  Object.defineProperty(target, '_decode', {
    get: () => tolerant,
    set: (next: (text: string) => string) => {
      decode = next;
    },
    configurable: true,
  });
  const original = (Object.getPrototypeOf(target) as HeaderParser & { _parseHeaderLine: () => void })
    ._parseHeaderLine;
  // stompit switches states with `this._parse = IncomingFrameStream.prototype._parseHeaderLine`.
  let current = target._parse;
  Object.defineProperty(target, '_parse', {
    get: () => current,
    set: (next: () => void) => {
      current = next === original ? parseHeaderLine : next;
    },
    configurable: true,
  });
  target._continueTransform = continueTransform;
}
