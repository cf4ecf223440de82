/** Typed errors shared by every transport. Each message says what happened and what to do. */

/**
 * The stable `code` of every error class of this package, by class name. A code never changes once
 * published; other @zocalo packages declare theirs beside their classes (`RECIPE_ERROR_CODES`, ...).
 * Recognise an error by its code (`isZocaloError(error, ZOCALO_ERROR_CODES.ConnectionError)`) or by
 * `instanceof`: both hold across the ESM and CJS builds of this package loaded in one process.
 */
export const ZOCALO_ERROR_CODES = Object.freeze({
  ZocaloError: 'ZOCALO_ERROR',
  DisconnectedError: 'ZOCALO_DISCONNECTED',
  UnsupportedCapabilityError: 'ZOCALO_UNSUPPORTED_CAPABILITY',
  TransportConfigError: 'ZOCALO_TRANSPORT_CONFIG',
  InvalidArgumentError: 'ZOCALO_INVALID_ARGUMENT',
  MessageRefusedError: 'ZOCALO_MESSAGE_REFUSED',
  UnknownSubscriptionError: 'ZOCALO_UNKNOWN_SUBSCRIPTION',
  UnknownTransactionError: 'ZOCALO_UNKNOWN_TRANSACTION',
  DestinationNotFoundError: 'ZOCALO_DESTINATION_NOT_FOUND',
  PermanentError: 'ZOCALO_PERMANENT',
  OutputLimitError: 'ZOCALO_OUTPUT_LIMIT',
  BrokerError: 'ZOCALO_BROKER',
  ConnectionError: 'ZOCALO_CONNECTION',
  LoginRefusedError: 'ZOCALO_LOGIN_REFUSED',
  SendBacklogFullError: 'ZOCALO_SEND_BACKLOG_FULL',
  NotARegularFileError: 'ZOCALO_NOT_A_REGULAR_FILE',
  PluginLoadError: 'ZOCALO_PLUGIN_LOAD',
} as const);

/** A code of {@link ZOCALO_ERROR_CODES}. */
export type ZocaloErrorCode = (typeof ZOCALO_ERROR_CODES)[keyof typeof ZOCALO_ERROR_CODES];

/**
 * Where a {@link ZocaloError} keeps the codes of its class and of every ancestor class, its own
 * first. A registered symbol: every copy of this package (ESM and CJS build, two versions, a vm
 * context) reads the same key, where each has its own classes.
 */
const BRAND: unique symbol = Symbol.for('@zocalo/error');

/** The `code` a class declares itself (not one it inherits), if any. */
function ownCode(constructor: unknown): string | undefined {
  if (typeof constructor !== 'function' || !Object.prototype.hasOwnProperty.call(constructor, 'code')) {
    return undefined;
  }
  const code: unknown = (constructor as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

const chains = new WeakMap<object, readonly string[]>();

/** The codes of a class and its ancestors up to `Error`, nearest first (computed once per class). */
function codeChain(constructor: object): readonly string[] {
  let chain = chains.get(constructor);
  if (!chain) {
    const codes: string[] = [];
    for (let current: unknown = constructor; typeof current === 'function' && current !== Error;) {
      const code = ownCode(current);
      if (code !== undefined && !codes.includes(code)) codes.push(code);
      current = Object.getPrototypeOf(current);
    }
    chain = Object.freeze(codes);
    chains.set(constructor, chain);
  }
  return chain;
}

/** The code chain an error carries, from whichever copy of this package made it. */
function carriedCodes(value: unknown): readonly string[] | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  const codes: unknown = (value as { [BRAND]?: unknown })[BRAND];
  return Array.isArray(codes) && codes.every((code) => typeof code === 'string') ? codes : undefined;
}

/**
 * Base class of every error Zocalo throws on purpose. Each class has a stable `code` (a static
 * `code`, which its instances carry); a subclass that declares none carries its parent's.
 * `instanceof` works across copies of this package: an error of another copy is an instance of a
 * class here when it carries that class's code among its own and its ancestors' codes.
 */
export class ZocaloError extends Error {
  /** The code of this class's errors: see {@link ZOCALO_ERROR_CODES}. */
  static readonly code: string = ZOCALO_ERROR_CODES.ZocaloError;

  /** The error's stable code: its class's, e.g. `ZOCALO_CONNECTION`. Match on it, not on `name`. */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    const code: unknown = (new.target as { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : ZOCALO_ERROR_CODES.ZocaloError;
    // Not enumerable: kept out of logged and serialised errors, which show `code`.
    Object.defineProperty(this, BRAND, { value: codeChain(new.target) });
  }

  /**
   * `error instanceof SomeZocaloError`: the ordinary prototype check, or, for an error of another
   * copy of the package, whether it carries the code the class declares. A subclass without a code
   * of its own gets only the ordinary check: its parent's code would match the parent's errors too.
   */
  static override [Symbol.hasInstance]<T>(
    this: abstract new (...args: never[]) => T,
    value: unknown,
  ): value is T {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const code = ownCode(this);
    return code !== undefined && carriedCodes(value)?.includes(code) === true;
  }
}

/**
 * Whether `error` is a {@link ZocaloError} of any copy of this package and, given a `code`, one of
 * the class with that code or of a subclass of it (`isZocaloError(error, 'ZOCALO_CONNECTION')` holds
 * for a `SendBacklogFullError` too). The way to recognise an error: not by its `name`, which a
 * bundler may rename.
 */
export function isZocaloError(error: unknown, code?: ZocaloErrorCode | (string & {})): error is ZocaloError {
  const codes = carriedCodes(error);
  return codes !== undefined && (code === undefined || codes.includes(code));
}

/** An operation needed a connection and the transport has none. */
export class DisconnectedError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.DisconnectedError;

  /**
   * @param neverConnected the transport has never been connected: a mistake in the program, not a lost
   *   connection, so nothing retries it (RecipeWrapper's reconnect-and-retry would hide it).
   */
  constructor(
    operation: string,
    transport: string,
    readonly neverConnected = false,
  ) {
    super(
      neverConnected
        ? `${transport} transport: cannot ${operation}: it was never connected; call connect() first ` +
            '(a ServiceRuntime connects its own transport)'
        : `${transport} transport: cannot ${operation} while disconnected; call connect() first`,
    );
  }
}

/** The transport does not offer a feature the caller asked for (see `transport.capabilities`). */
export class UnsupportedCapabilityError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.UnsupportedCapabilityError;

  constructor(
    readonly capability: string,
    readonly transport: string,
    hint?: string,
  ) {
    super(
      `${transport} transport does not support ${capability}` +
        (hint ? `: ${hint}` : `; check transport.capabilities.${capability} before using it`),
    );
  }
}

/** The transport's configuration is missing or wrong (bad host, port, option value, unknown name). */
export class TransportConfigError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.TransportConfigError;
}

/** An argument to a transport operation is invalid (bad queue name, negative delay, non-JSON value). */
export class InvalidArgumentError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.InvalidArgumentError;
}

/**
 * A message the broker would refuse (a header or body beyond its limits, an empty header name),
 * refused before it reached the shared connection: nothing else is affected, nothing was sent.
 */
export class MessageRefusedError extends InvalidArgumentError {
  static override readonly code: string = ZOCALO_ERROR_CODES.MessageRefusedError;

  constructor(
    readonly transport: string,
    /** What is wrong, e.g. `header "x" is 20480 bytes`. */
    readonly reason: string,
    /** The limit and the setting that raises it, e.g. `at most 10240 bytes (maxHeaderLength)`. */
    readonly limit: string,
  ) {
    super(
      `${transport} transport: message refused before sending, the broker would refuse it: ${reason}, ` +
        `${limit}; shorten it, or raise the setting if the broker allows more`,
    );
  }
}

/** A subscription id that this transport does not know (never allocated, or already unsubscribed). */
export class UnknownSubscriptionError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.UnknownSubscriptionError;

  constructor(
    readonly subscription: number,
    transport: string,
  ) {
    super(`${transport} transport: no subscription ${subscription}; it was never made or has ended`);
  }
}

/** A transaction id that this transport does not know (never begun, or already committed/aborted). */
export class UnknownTransactionError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.UnknownTransactionError;

  constructor(
    readonly transaction: number,
    transport: string,
  ) {
    super(`${transport} transport: no open transaction ${transaction}; it was never begun or has ended`);
  }
}

/** A send was addressed to a queue that does not exist (AMQP mandatory publishing). */
export class DestinationNotFoundError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.DestinationNotFoundError;

  constructor(
    readonly destination: string,
    transport: string,
  ) {
    super(
      `${transport} transport: no queue "${destination}" on the broker, the message was not delivered; ` +
        `declare the queue (or start a service that subscribes to it) first`,
    );
  }
}

/** The `code` of a {@link PermanentError}; any error carrying it is treated as one. */
export const PERMANENT_ERROR_CODE = ZOCALO_ERROR_CODES.PermanentError;

/**
 * A failure that no retry can cure (the message itself is wrong: a missing file it names, a value out
 * of range). Thrown by a message handler, it makes the service runtime dead-letter the message at
 * once, with the error as the reason, instead of releasing it for redelivery. `cause` keeps the error
 * it stands for: `throw new PermanentError('frame 7 is corrupt; re-collect it', { cause: error })`.
 */
export class PermanentError extends ZocaloError {
  static override readonly code: string = PERMANENT_ERROR_CODE;
}

/** The output limit of one message that a send would pass: how many messages, or their bytes. */
export type OutputLimit = 'outputs' | 'bytes';

function amount(value: number, limit: OutputLimit): string {
  if (limit === 'outputs') return `${value} messages`;
  return value < 1024 * 1024 ? `${value} bytes` : `${value} bytes (${(value / 1024 / 1024).toFixed(1)} MiB)`;
}

/**
 * What the handling of one message sends (counted across `msg.send`, `msg.broadcast`, `msg.transport`
 * and the recipe wrappers built on them) would pass a limit of the service runtime: refused before
 * the send that would pass it was encoded or sent. Permanent: the same message would ask for the same
 * outputs on every delivery, so it is dead-lettered with this as the reason.
 */
export class OutputLimitError extends PermanentError {
  static override readonly code: string = ZOCALO_ERROR_CODES.OutputLimitError;

  constructor(
    readonly limit: OutputLimit,
    /** The most allowed (messages, or bytes of encoded bodies). */
    readonly maximum: number,
    /** The setting that raises it: `maxOutputsPerMessage` or `maxOutputBytesPerMessage`. */
    readonly setting: string,
    /** What the message's outputs would have come to with this send. */
    readonly attempted: number,
    /** What was being sent, e.g. `recipe step 1's output to 10000 steps`. */
    readonly what = 'this send',
  ) {
    super(
      `${setting} limits the outputs of one message to ${amount(maximum, limit)}; ${what} would ` +
        `make them ${amount(attempted, limit)}, so it was refused before it was sent. Send less (one ` +
        `message listing the items rather than a message per item, a file path rather than the data), ` +
        `or raise the service runtime's ${setting} (zocalo service --${kebab(setting)})`,
    );
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * Whether a message handler's error is one that no retry can cure, so the service runtime
 * dead-letters the message at once rather than releasing it for redelivery: an
 * {@link InvalidArgumentError} (and so a {@link MessageRefusedError}: a payload that cannot be
 * serialised, is nested too deep, or is beyond the broker's limits), a {@link PermanentError} (or any
 * error whose `code` is {@link PERMANENT_ERROR_CODE}), and a `RangeError` (a stack overflow on a
 * too-deep value, a string or array too long: the same input fails the same way every time).
 * Everything else — a lost connection, a missing queue, a `TypeError` that a fixed deployment may no
 * longer throw — is transient.
 */
export function isPermanentError(error: unknown): boolean {
  return (
    error instanceof InvalidArgumentError ||
    error instanceof PermanentError ||
    error instanceof RangeError ||
    // Our errors of another copy of this package pass `instanceof` (see ZocaloError); a RangeError
    // of another realm (a vm context) is recognised by name, and any error by the permanent code.
    (typeof error === 'object' &&
      error !== null &&
      ((error as { name?: unknown }).name === 'RangeError' ||
        (error as { code?: unknown }).code === PERMANENT_ERROR_CODE))
  );
}

/** The broker refused an operation (a STOMP ERROR frame, an AMQP channel error). */
export class BrokerError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.BrokerError;
}

/** The broker could not be reached, or refused the login. */
export class ConnectionError extends ZocaloError {
  static override readonly code: string = ZOCALO_ERROR_CODES.ConnectionError;
}

/**
 * The broker refused the credentials (or the vhost): trying again cannot help, so a reconnection
 * stops at once. Check the user name and password settings.
 */
export class LoginRefusedError extends ConnectionError {
  static override readonly code: string = ZOCALO_ERROR_CODES.LoginRefusedError;
}

/**
 * A send was refused at once because too many sends (or bytes) already wait for a connection that
 * is being re-established. Memory stays bounded however fast a caller sends while the broker is away.
 * It is a {@link ConnectionError}: the message was not sent.
 */
export class SendBacklogFullError extends ConnectionError {
  static override readonly code: string = ZOCALO_ERROR_CODES.SendBacklogFullError;

  constructor(
    /** What waits: e.g. `amqp transport: the connection to RabbitMQ`. */
    what: string,
    readonly waiting: number,
    readonly waitingBytes: number,
    hint = '',
  ) {
    super(
      `${what} is being re-established, and ${waiting} send(s) (${Math.round(waitingBytes / 1024)} kB) ` +
        "already wait for it; this one was not sent. Wait for the transport's 'reconnected' event (or for " +
        `earlier sends to settle) before sending more${hint}`,
    );
  }
}
