/**
 * One STOMP connection to ActiveMQ, on a stompit `Client`.
 *
 * stompit does the socket handling, parsing, version negotiation and heart-beating; the FrameWriter
 * (frame-writer.ts) writes and escapes outgoing frames. This class replaces stompit's MESSAGE, RECEIPT
 * and ERROR handling so that:
 * - every frame goes through one ordered queue, and a receipt on one frame confirms every frame written
 *   before it (ActiveMQ handles a connection's frames in order) — that is how sends are confirmed
 *   without a round trip each;
 * - at most `sendWindow` SEND and `ackWindow` ACK/NACK frames are unconfirmed at a time. ActiveMQ holds
 *   a connection's lock while it writes MESSAGE frames and needs the same lock to read an ACK: a
 *   consumer whose unread ACKs fill the broker's socket buffer while the broker floods it with messages
 *   wedges both TCP directions (brokers.md, "publish-while-consume"). ACK frames here are short (STOMP
 *   1.2 `id` only) and, beyond the window, wait for the broker to confirm it has read the earlier ones;
 * - an ERROR frame that answers a receipt fails just the frames that receipt covers, as a
 *   `BrokerError` with the broker's message; any other ERROR frame drops the connection (the owner
 *   reconnects and retries what was not confirmed), so a refused frame is never taken as confirmed;
 * - a connection whose broker stops confirming frames is declared stalled, logged and dropped.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { connect as netConnect } from 'node:net';
import StompitClient from 'stompit/lib/Client.js';
import type { Logger } from '@zocalo/workflows';
import { BrokerError, ConnectionError, LoginRefusedError, watchLiveness } from '@zocalo/workflows';
import { FrameWriter } from './frame-writer';
import { useSafeHeaders } from './header-parser';
import { useByteExactLines } from './line-reader';
import type { BrokerAddress } from './stomp-settings';

/** Header values exactly as stompit hands them over (it turns `content-length` into a number). */
export type IncomingHeaders = Readonly<Record<string, string | number>>;

/** Called for each MESSAGE frame of a subscription, in the order the broker sent them. */
export type MessageHandler = (headers: IncomingHeaders, body: Buffer) => void;

/** A frame on its way to the broker. */
export interface OutgoingFrame {
  readonly command: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  /** Which window the frame counts against. */
  readonly kind: 'send' | 'ack' | 'control';
  /** Ask for a receipt on this very frame (otherwise one comes with a later frame, when needed). */
  readonly receipt?: boolean;
  /** Called synchronously, in frame order, once a receipt proves the broker processed the frame. */
  onConfirmed?(): void;
  /** Called if the broker refused the frame, or the connection ended before it was confirmed. */
  onFailed?(error: Error): void;
}

export interface LinkOptions {
  readonly username: string;
  readonly password: string;
  readonly heartbeatMs: number;
  readonly connectTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly ackWindow: number;
  readonly sendWindow: number;
  readonly logger: Logger;
  /** Shown in log messages, e.g. `publisher` or `subscription 3 (/queue/x)`. */
  readonly role: string;
}

/** A stompit MESSAGE/RECEIPT/ERROR frame: a readable body plus command and headers. */
interface IncomingFrame extends Readable {
  readonly command: string;
  readonly headers: IncomingHeaders;
}

interface ReceiptRecord {
  readonly id: string;
  readonly frames: OutgoingFrame[];
  readonly acks: number;
  readonly sends: number;
}

/** Frames written since the last receipted one. */
interface Unreceipted {
  frames: OutgoingFrame[];
  acks: number;
  sends: number;
}

/** Receipts are requested at least this often, so confirmations and window credits keep flowing. */
const MAX_FRAMES_PER_RECEIPT = 256;
/**
 * Incoming header limits: ActiveMQ takes 1000 headers of up to 10 kB from a producer and adds its own
 * (message-id, destination, ...) when it forwards the message, so a frame may carry more than 1000;
 * stompit's defaults are 64 and 1 kB. A frame beyond these ends the connection (and comes again).
 */
const MAX_HEADERS = 2000;
const MAX_LINE_LENGTH = 1 << 20;

/** Errors stompit raises carry these (see stompit's Socket.js). */
interface StompitError extends Error {
  isApplicationError?: () => boolean;
  longMessage?: string;
}

/** A FIFO of frames with O(1) shift (Array.shift is O(n), and thousands of sends may wait here). */
class FrameQueue {
  private items: OutgoingFrame[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(frame: OutgoingFrame): void {
    this.items.push(frame);
  }

  peek(): OutgoingFrame {
    return this.items[this.head];
  }

  shift(): OutgoingFrame {
    const frame = this.items[this.head];
    this.items[this.head++] = undefined as unknown as OutgoingFrame;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  drain(): OutgoingFrame[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

function describe(address: BrokerAddress): string {
  return `ActiveMQ at ${address.host}:${address.port}`;
}

/**
 * How often the broker promised to send something, in ms (0: never), from the CONNECTED frame's
 * `heart-beat: sx,sy` and the interval we asked for: it sends every max(sx, ours) when both are set.
 */
export function incomingHeartbeat(header: string | undefined, requestedMs: number): number {
  const sx = Number(header?.split(',')[0]);
  if (!(requestedMs > 0) || !Number.isFinite(sx) || sx <= 0) return 0;
  return Math.max(sx, requestedMs);
}

export class StompLink {
  /** Negotiated STOMP version, `1.1` or `1.2`. */
  readonly version: string;
  /** Called once when the connection ends without {@link close}. */
  onLost: (error: Error) => void = () => undefined;

  private readonly handlers = new Map<string, MessageHandler>();
  private readonly queue = new FrameQueue();
  private readonly receipts: ReceiptRecord[] = [];
  private unreceipted: Unreceipted = { frames: [], acks: 0, sends: 0 };
  private unconfirmedAcks = 0;
  private unconfirmedSends = 0;
  private nextReceipt = 1;
  private flushScheduled = false;
  private ended = false;
  private closing = false;
  /** When the broker last showed progress while we were waiting for it. */
  private progressAt = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private readonly stopLiveness: () => void;

  private constructor(
    private readonly client: StompitClient,
    readonly address: BrokerAddress,
    private readonly options: LinkOptions,
    socket: Socket,
  ) {
    this.version = String((client as unknown as { headers: IncomingHeaders }).headers.version);
    client.setCommandHandler('MESSAGE', this.onMessage as never);
    client.setCommandHandler('RECEIPT', this.onReceipt as never);
    client.setCommandHandler('ERROR', this.onError as never);
    client.on('error', (error: Error) => this.lost(error));
    client.on('end', () => this.lost(new ConnectionError(`${describe(address)} closed the connection`)));
    const period = Math.max(50, Math.min(1000, options.stallTimeoutMs / 4));
    this.watchdog = setInterval(() => this.checkStall(), period);
    this.watchdog.unref();
    // stompit checks the broker's heart-beats once per window (30 s and more); our own check drops a
    // silent link within the documented three intervals. ActiveMQ may leave up to two intervals
    // between beats after traffic stops (AMQ-4710), so three is the least that is safe.
    const interval = incomingHeartbeat(this.headerOf('heart-beat'), options.heartbeatMs);
    this.stopLiveness = watchLiveness(socket, {
      silenceMs: 3 * interval,
      describe: `stomp transport: the ${options.role} connection to ${describe(address)}`,
      onSilent: (error) => this.lost(new ConnectionError(error.message)),
    });
  }

  private headerOf(name: string): string | undefined {
    const value = (this.client as unknown as { headers: IncomingHeaders }).headers[name];
    return value === undefined ? undefined : String(value);
  }

  /** Connect to the first of the addresses that answers; the error names every address tried. */
  static async connectAny(addresses: readonly BrokerAddress[], options: LinkOptions): Promise<StompLink> {
    const failures: string[] = [];
    let last: Error | undefined;
    for (const address of addresses) {
      try {
        return await StompLink.connect(address, options);
      } catch (error) {
        last = error as Error;
        failures.push(last.message);
      }
    }
    if (addresses.length === 1) throw last!;
    throw new ConnectionError(`stomp transport: no broker answered: ${failures.join('; ')}`, { cause: last });
  }

  /** Open a connection and log in; rejects with a ConnectionError that says what to check. */
  static connect(address: BrokerAddress, options: LinkOptions): Promise<StompLink> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let client: StompitClient | undefined;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (client) {
          client.on('error', () => undefined);
          client.destroy(new Error('connection attempt abandoned'));
        } else {
          socket.destroy();
        }
        reject(error);
      };
      const unreachable = (error: Error): void =>
        fail(
          new ConnectionError(
            `stomp transport: cannot reach ${describe(address)} (${error.message}); ` +
              'is the broker running, and are --stomp-host and --stomp-port right?',
            { cause: error },
          ),
        );
      const timer = setTimeout(
        () =>
          fail(
            new ConnectionError(
              `stomp transport: ${describe(address)} did not complete the STOMP login within ` +
                `${options.connectTimeoutMs / 1000} s; is that port a STOMP connector of a running broker?`,
            ),
          ),
        options.connectTimeoutMs,
      );
      const socket = netConnect({ host: address.host, port: address.port });
      socket.setNoDelay(true);
      socket.once('error', unreachable);
      socket.once('connect', () => {
        socket.removeListener('error', unreachable);
        if (settled) return;
        // stompit parses, negotiates and heart-beats; the FrameWriter writes (see frame-writer.ts).
        const socketOptions = {
          outgoingFrameStream: new FrameWriter(socket),
          maxHeaders: MAX_HEADERS,
          maxLineLength: MAX_LINE_LENGTH,
          // A broker silent for three heart-beat intervals is gone. stompit's default grace is 100 ms,
          // and ActiveMQ may leave up to two intervals between beats after traffic stops (AMQ-4710).
          heartbeatDelayMargin: Math.max(100, 2 * options.heartbeatMs),
          // Beat at half the interval: ActiveMQ's read check allows one interval with no grace by
          // default, so beats exactly on the interval are dropped by any timer delay on our side.
          heartbeatOutputMargin: Math.floor(options.heartbeatMs / 2),
        };
        const connecting = new StompitClient(socket, socketOptions as never);
        const incoming = (connecting as unknown as { _incoming: unknown })._incoming;
        useByteExactLines(incoming);
        useSafeHeaders(incoming);
        client = connecting;
        const connectHeaders = {
          host: address.host,
          login: options.username,
          passcode: options.password,
          'accept-version': '1.1,1.2',
          'heart-beat': `${options.heartbeatMs},${options.heartbeatMs}`,
        };
        connecting.connect(connectHeaders, (error: Error | null) => {
          if (settled) return;
          if (error) {
            const stompitError = error as StompitError;
            if (!stompitError.isApplicationError?.()) {
              unreachable(error);
              return;
            }
            const detail = stompitError.longMessage ? ` (${stompitError.longMessage.trim()})` : '';
            fail(
              new LoginRefusedError(
                `stomp transport: ${describe(address)} refused the login as "${options.username}": ` +
                  `${error.message}${detail}; check --stomp-user and --stomp-pass`,
                { cause: error },
              ),
            );
            return;
          }
          const version = String(
            (connecting as unknown as { headers: IncomingHeaders }).headers.version ?? '1.0',
          );
          if (version !== '1.1' && version !== '1.2') {
            fail(
              new ConnectionError(
                `stomp transport: ${describe(address)} speaks STOMP ${version}; STOMP 1.1 or 1.2 is needed ` +
                  'to escape header values safely',
              ),
            );
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve(new StompLink(connecting, address, options, socket));
        });
      });
    });
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /** Route MESSAGE frames of a STOMP subscription id to a handler (undefined: drop them). */
  handle(subscriptionId: string, handler: MessageHandler | undefined): void {
    if (handler) this.handlers.set(subscriptionId, handler);
    else this.handlers.delete(subscriptionId);
  }

  /** Queue a frame. Frames go out in order; the queue is written at the end of the current tick. */
  write(frame: OutgoingFrame): void {
    if (this.ended) {
      frame.onFailed?.(new ConnectionError(`stomp transport: the ${this.options.role} connection is closed`));
      return;
    }
    if (this.queue.length === 0 && this.receipts.length === 0) this.progressAt = Date.now();
    this.queue.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Queue a frame with its own receipt and wait for the broker to confirm it. */
  request(command: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.write({
        command,
        headers,
        kind: 'control',
        receipt: true,
        onConfirmed: resolve,
        onFailed: reject,
      });
    });
  }

  /**
   * Log out (DISCONNECT, confirmed) after every queued frame, then close the socket. A broker that
   * stops answering is caught by the stall watchdog, so this never hangs for longer than `stallTimeout`.
   */
  async close(): Promise<void> {
    if (this.ended || this.closing) return;
    this.closing = true;
    try {
      await this.request('DISCONNECT', {});
    } catch {
      // Closing anyway.
    } finally {
      this.end(new ConnectionError(`stomp transport: the ${this.options.role} connection was closed`));
    }
  }

  /** Drop the connection at once (e.g. a stall): unconfirmed frames fail, the owner reconnects. */
  destroy(error: Error): void {
    this.lost(error);
  }

  // ------------------------------------------------------------------ writing

  private canWrite(frame: OutgoingFrame): boolean {
    if (frame.kind === 'ack') return this.unconfirmedAcks < this.options.ackWindow;
    if (frame.kind === 'send') return this.unconfirmedSends < this.options.sendWindow;
    return true;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const queue = this.queue;
    while (!this.ended && queue.length > 0 && this.canWrite(queue.peek())) {
      const frame = queue.shift();
      const pending = this.unreceipted;
      if (frame.onConfirmed || frame.onFailed) pending.frames.push(frame);
      if (frame.kind === 'ack') {
        pending.acks++;
        this.unconfirmedAcks++;
      } else if (frame.kind === 'send') {
        pending.sends++;
        this.unconfirmedSends++;
      }
      const last = queue.length === 0 || !this.canWrite(queue.peek());
      const receipt =
        frame.receipt === true ||
        (last && pending.frames.length > 0) ||
        pending.frames.length >= MAX_FRAMES_PER_RECEIPT ||
        this.unconfirmedSends >= this.options.sendWindow;
      // Credit for the ack window: half of it used since the last receipt.
      const probe = !receipt && pending.acks * 2 >= this.options.ackWindow;
      let headers = frame.headers;
      if (receipt) {
        const id = `z${this.nextReceipt++}`;
        headers = { ...headers, receipt: id };
        this.receipts.push({ id, frames: pending.frames, acks: pending.acks, sends: pending.sends });
        this.unreceipted = { frames: [], acks: 0, sends: 0 };
      }
      const out = this.client.sendFrame(frame.command, headers);
      if (frame.body === undefined) out.end();
      else out.end(frame.body);
      if (probe) this.probe();
    }
  };

  /**
   * Ask the broker to confirm it has read every frame so far without a receipt on an ACK itself: a
   * receipted ACK of a persistent message makes ActiveMQ update its store synchronously, stalling the
   * connection's ACK stream. An empty transaction (BEGIN with a receipt, ABORT) touches no store.
   */
  private probe(): void {
    const pending = this.unreceipted;
    const id = `z${this.nextReceipt++}`;
    const transaction = `zocalo-probe-${id}`;
    this.receipts.push({ id, frames: pending.frames, acks: pending.acks, sends: pending.sends });
    this.unreceipted = { frames: [], acks: 0, sends: 0 };
    this.client.sendFrame('BEGIN', { transaction, receipt: id }).end();
    this.client.sendFrame('ABORT', { transaction }).end();
  }

  // ------------------------------------------------------------------ reading

  private readonly onMessage = (frame: IncomingFrame): void => {
    const handler = this.handlers.get(String(frame.headers.subscription));
    if (!handler) {
      frame.resume();
      return;
    }
    const chunks: Buffer[] = [];
    frame.on('data', (chunk: Buffer) => chunks.push(chunk));
    frame.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        handler(frame.headers, body);
      } catch (error) {
        this.options.logger.error(
          { err: error, role: this.options.role },
          'stomp transport: message handler threw',
        );
      }
    });
  };

  private readonly onReceipt = (frame: IncomingFrame): void => {
    frame.resume();
    const id = String(frame.headers['receipt-id']);
    const index = this.receipts.findIndex((record) => record.id === id);
    if (index < 0) {
      this.options.logger.warn(
        { receipt: id, role: this.options.role },
        'stomp transport: unexpected RECEIPT ignored',
      );
      return;
    }
    this.progressAt = Date.now();
    for (const record of this.receipts.splice(0, index + 1)) {
      this.unconfirmedAcks -= record.acks;
      this.unconfirmedSends -= record.sends;
      for (const confirmed of record.frames) confirmed.onConfirmed?.();
    }
    if (this.queue.length > 0 && !this.flushScheduled) this.flush();
  };

  private readonly onError = (frame: IncomingFrame): void => {
    const chunks: Buffer[] = [];
    frame.on('data', (chunk: Buffer) => chunks.push(chunk));
    frame.on('end', () => {
      const message = String(frame.headers.message ?? 'ERROR frame without a message');
      const detail = Buffer.concat(chunks).toString('utf8').trim();
      const text = detail && !detail.startsWith(message) ? `${message} (${detail.split('\n')[0]})` : message;
      const receiptId = frame.headers['receipt-id'];
      const index =
        receiptId === undefined ? -1 : this.receipts.findIndex((record) => record.id === String(receiptId));
      if (index >= 0) {
        // The broker refused exactly the frame that asked for this receipt; fail what it would confirm.
        const [record] = this.receipts.splice(index, 1);
        this.unconfirmedAcks -= record.acks;
        this.unconfirmedSends -= record.sends;
        const error = new BrokerError(`stomp transport: ActiveMQ refused a frame: ${text}`);
        for (const failed of record.frames) failed.onFailed?.(error);
        this.progressAt = Date.now();
        if (this.queue.length > 0 && !this.flushScheduled) this.flush();
        return;
      }
      if (/^Unexpected ACK received/i.test(message)) {
        // An acknowledgement the broker no longer expected (its message was already released): harmless.
        this.options.logger.warn(
          { role: this.options.role, error: text },
          'stomp transport: broker ignored an ACK',
        );
        return;
      }
      // Some frame without a receipt was refused, so a later receipt must not count as confirming it.
      this.lost(
        new BrokerError(
          `stomp transport: ActiveMQ reported an error on the ${this.options.role} connection: ${text}`,
        ),
      );
    });
  };

  // ------------------------------------------------------------------ ending

  private checkStall(): void {
    if (this.ended || (this.receipts.length === 0 && this.queue.length === 0)) return;
    const waited = Date.now() - this.progressAt;
    if (waited < this.options.stallTimeoutMs) return;
    const error = new ConnectionError(
      `stomp transport: ActiveMQ at ${this.address.host}:${this.address.port} has not confirmed any frame on the ` +
        `${this.options.role} connection for ${Math.round(waited / 1000)} s ` +
        `(${this.unconfirmedSends} sends and ${this.unconfirmedAcks} acks unconfirmed, ${this.queue.length} frames waiting): ` +
        'the connection is stalled; dropping it to recover',
    );
    this.options.logger.error(
      {
        role: this.options.role,
        unconfirmedSends: this.unconfirmedSends,
        unconfirmedAcks: this.unconfirmedAcks,
      },
      error.message,
    );
    this.lost(error);
  }

  private lost(error: Error): void {
    if (this.ended) return;
    const expected = this.closing;
    this.end(error);
    if (!expected) this.onLost(error);
  }

  /** Close the socket and fail every frame the broker has not confirmed, oldest first. */
  private end(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.watchdog);
    this.stopLiveness();
    this.handlers.clear();
    this.client.on('error', () => undefined);
    (this.client as unknown as { destroy(): void }).destroy();
    const failed: OutgoingFrame[] = [];
    for (const record of this.receipts.splice(0)) failed.push(...record.frames);
    failed.push(...this.unreceipted.frames, ...this.queue.drain());
    this.unreceipted = { frames: [], acks: 0, sends: 0 };
    this.unconfirmedAcks = 0;
    this.unconfirmedSends = 0;
    const reason =
      error instanceof ConnectionError || error instanceof BrokerError
        ? error
        : new ConnectionError(
            `stomp transport: the ${this.options.role} connection was lost (${error.message})`,
            {
              cause: error,
            },
          );
    for (const frame of failed) frame.onFailed?.(reason);
  }
}
