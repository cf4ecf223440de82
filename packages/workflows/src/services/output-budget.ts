/**
 * The output limits of one message (#24): what the handling of one message may send, in messages and
 * in bytes of encoded bodies. Without them a 10,000-way recipe fan-out of a 0.6 MB message builds
 * 6.5 GB of outputs (each carries the whole recipe) and the process dies of heap exhaustion; with
 * them the send that would pass a limit is refused before it is sent, with an
 * {@link OutputLimitError} that dead-letters the message.
 */
import { encodeBody } from '../body';
import { InvalidArgumentError, OutputLimitError } from '../errors';

/**
 * Default {@link ServiceRuntimeOptions.maxOutputsPerMessage}: a message per image of a 100 × 100 grid
 * scan, almost three times a 3600-image sweep.
 */
export const DEFAULT_MAX_OUTPUTS_PER_MESSAGE = 10_000;

/**
 * Default {@link ServiceRuntimeOptions.maxOutputBytesPerMessage}: 256 MiB, a 3600-image sweep's messages
 * at 70 kB each, or fifty 5 MB results; and the memory transport, which holds a transaction's outputs
 * until it commits, holds that with room to spare in the 1 GB heap V8 gives a process on a 4 GB machine.
 */
export const DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE = 256 * 1024 * 1024;

/** The output limits of one message, and what it has sent so far (`msg.outputBudget`). */
export interface OutputBudget {
  /** Most messages the handling of one message may send. */
  readonly maxOutputs: number;
  /** Most bytes (encoded bodies, in all) the handling of one message may send. */
  readonly maxOutputBytes: number;
  /** Messages counted so far: sent, or waiting in the message's transaction. */
  readonly outputs: number;
  /** Their bytes. */
  readonly outputBytes: number;
  /**
   * Throw an {@link OutputLimitError} if `count` more messages of `bytes` bytes in all would pass a
   * limit; count nothing. For code that is about to send many messages (a recipe fan-out) and can
   * refuse them all before sending any. `what` names them in the error.
   */
  check(count: number, bytes?: number, what?: string): void;
}

/** The budget of one message as the runtime keeps it. */
export class MessageOutputBudget implements OutputBudget {
  #outputs = 0;
  #bytes = 0;
  #refusal: OutputLimitError | undefined;

  constructor(
    readonly maxOutputs: number,
    readonly maxOutputBytes: number,
  ) {}

  get outputs(): number {
    return this.#outputs;
  }

  get outputBytes(): number {
    return this.#bytes;
  }

  /** The first refusal: once refused, the message has failed, whatever the handler does with it. */
  get refusal(): OutputLimitError | undefined {
    return this.#refusal;
  }

  check(count: number, bytes = 0, what?: string): void {
    // Once refused, every later send is too: without a transaction the rest must not go out either.
    if (this.#refusal !== undefined) throw this.#refusal;
    if (this.#outputs + count > this.maxOutputs) {
      this.#refuse('outputs', this.maxOutputs, 'maxOutputsPerMessage', this.#outputs + count, what);
    }
    if (this.#bytes + bytes > this.maxOutputBytes) {
      this.#refuse('bytes', this.maxOutputBytes, 'maxOutputBytesPerMessage', this.#bytes + bytes, what);
    }
  }

  /**
   * Count one send of `body` (`raw`: sent as it is), refusing it if it would pass a limit: the count is
   * checked before the body is encoded to measure it, so a send past the count costs nothing.
   */
  spend(body: unknown, raw: boolean): void {
    this.check(1);
    // Measuring costs a JSON.stringify of the body: not with no byte limit to keep.
    const bytes = this.maxOutputBytes === Infinity ? 0 : raw ? rawBytes(body) : encodedBytes(body);
    this.check(1, bytes);
    this.#outputs += 1;
    this.#bytes += bytes;
  }

  #refuse(...args: ConstructorParameters<typeof OutputLimitError>): never {
    this.#refusal = new OutputLimitError(...args);
    throw this.#refusal;
  }
}

/**
 * The bytes of `message` on the wire, for less than encodeBody costs (its depth scan is left to the
 * transport, which encodes the message anyway): JSON.stringify's, which differ only where a number is
 * not finite (`null` for `NaN`, a few bytes each). What JSON.stringify cannot write goes to
 * encodeBody: a bigint is measured exactly, a cycle throws its InvalidArgumentError.
 */
function encodedBytes(message: unknown): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch {
    text = undefined;
  }
  return Buffer.byteLength(text ?? encodeBody(message));
}

function rawBytes(body: unknown): number {
  if (Buffer.isBuffer(body)) return body.length;
  // Anything else the transport refuses (InvalidArgumentError) when it is sent.
  return typeof body === 'string' ? Buffer.byteLength(body) : 0;
}

/** A limit setting: a whole number >= 1, or Infinity for none. */
export function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (value !== Infinity && (!Number.isInteger(value) || value < 1)) {
    throw new InvalidArgumentError(
      `${name} must be a whole number >= 1 (or Infinity for no limit), got ${String(value)}`,
    );
  }
  return value;
}
