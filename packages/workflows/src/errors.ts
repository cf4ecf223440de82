/** Typed errors shared by every transport. Each message says what happened and what to do. */

/** Base class of every error Zocalo throws on purpose. */
export class ZocaloError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An operation needed a connection and the transport has none. */
export class DisconnectedError extends ZocaloError {
  constructor(operation: string, transport: string) {
    super(`${transport} transport: cannot ${operation} while disconnected; call connect() first`);
  }
}

/** The transport does not offer a feature the caller asked for (see `transport.capabilities`). */
export class UnsupportedCapabilityError extends ZocaloError {
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
export class TransportConfigError extends ZocaloError {}

/** An argument to a transport operation is invalid (bad queue name, negative delay, non-JSON value). */
export class InvalidArgumentError extends ZocaloError {}

/**
 * A message the broker would refuse (a header or body beyond its limits, an empty header name),
 * refused before it reached the shared connection: nothing else is affected, nothing was sent.
 */
export class MessageRefusedError extends InvalidArgumentError {
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
  constructor(
    readonly subscription: number,
    transport: string,
  ) {
    super(`${transport} transport: no subscription ${subscription}; it was never made or has ended`);
  }
}

/** A transaction id that this transport does not know (never begun, or already committed/aborted). */
export class UnknownTransactionError extends ZocaloError {
  constructor(
    readonly transaction: number,
    transport: string,
  ) {
    super(`${transport} transport: no open transaction ${transaction}; it was never begun or has ended`);
  }
}

/** A send was addressed to a queue that does not exist (AMQP mandatory publishing). */
export class DestinationNotFoundError extends ZocaloError {
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
export const PERMANENT_ERROR_CODE = 'ZOCALO_PERMANENT';

/**
 * A failure that no retry can cure (the message itself is wrong: a missing file it names, a value out
 * of range). Thrown by a message handler, it makes the service runtime dead-letter the message at
 * once, with the error as the reason, instead of releasing it for redelivery. `cause` keeps the error
 * it stands for: `throw new PermanentError('frame 7 is corrupt; re-collect it', { cause: error })`.
 */
export class PermanentError extends ZocaloError {
  /** {@link PERMANENT_ERROR_CODE}: identifies the error even across two copies of this package. */
  readonly code = PERMANENT_ERROR_CODE;
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
    // By name and code too: an error made in another realm (a vm context, a second copy of this
    // package) is not an instance of ours.
    (typeof error === 'object' &&
      error !== null &&
      ((error as { name?: unknown }).name === 'RangeError' ||
        (error as { code?: unknown }).code === PERMANENT_ERROR_CODE))
  );
}

/** The broker refused an operation (a STOMP ERROR frame, an AMQP channel error). */
export class BrokerError extends ZocaloError {}

/** The broker could not be reached, or refused the login. */
export class ConnectionError extends ZocaloError {}

/**
 * The broker refused the credentials (or the vhost): trying again cannot help, so a reconnection
 * stops at once. Check the user name and password settings.
 */
export class LoginRefusedError extends ConnectionError {}

/**
 * A send was refused at once because too many sends (or bytes) already wait for a connection that
 * is being re-established. Memory stays bounded however fast a caller sends while the broker is away.
 * It is a {@link ConnectionError}: the message was not sent.
 */
export class SendBacklogFullError extends ConnectionError {
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
