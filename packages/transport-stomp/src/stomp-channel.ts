/**
 * A STOMP connection that stays up: the current {@link StompLink} on @zocalo/workflows'
 * {@link ReconnectingConnection}, which reconnects it (over the whole host list) when it drops. This
 * file supplies only the session hooks: open a link and run the owner's set-up on it (e.g.
 * SUBSCRIBE), close it, and say what an error means. Unconfirmed sends are retried on the next link;
 * frames that cannot be retried (acknowledgements of deliveries from the old link, anything inside a
 * transaction the broker rolled back) fail with a `ConnectionError` instead.
 *
 * The transport keeps one channel for publishing and one per subscription: ActiveMQ can deadlock a
 * connection that publishes heavily while it consumes (wire-format.md, "Load").
 */
import type { ConnectionErrorKind, Logger, ReconnectEvents } from '@zocalo/workflows';
import {
  BrokerError,
  ConnectionError,
  LoginRefusedError,
  RESENT_HEADER,
  ReconnectingConnection,
} from '@zocalo/workflows';
import type { LinkOptions, OutgoingFrame } from './stomp-link';
import { StompLink } from './stomp-link';
import type { ResolvedStompOptions } from './stomp-settings';

/** What the owner of a channel hears about it. */
export interface ChannelHooks {
  /** Set up a new link before frames flow on it (the first one included); throwing drops the link. */
  linkUp(link: StompLink): Promise<void>;
  /** The link dropped; a reconnection follows (unless the owner closes the channel). */
  linkLost(link: StompLink, error: Error): void;
  /** Reconnection gave up: the channel is closed for good. */
  failed(error: ConnectionError): void;
}

/** A frame that survives the loss of its link until this time (ms since epoch), then fails. */
export interface RetryableFrame extends OutgoingFrame {
  readonly retryUntil?: number;
}

function bodyLength(frame: RetryableFrame): number {
  const body = frame.body;
  return body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
}

/** What a STOMP error means for the connection. */
export function classifyStompError(error: unknown): ConnectionErrorKind {
  if (error instanceof LoginRefusedError) return 'login';
  // A refusal by the broker is final for that frame; the connection may well be fine.
  if (error instanceof BrokerError) return 'channel';
  return 'connection';
}

export class StompChannel {
  private readonly connection: ReconnectingConnection<StompLink>;
  private readonly linkOptions: LinkOptions;

  constructor(
    readonly role: string,
    private readonly options: ResolvedStompOptions,
    logger: Logger,
    private readonly hooks: ChannelHooks,
    /** The transport's one stream of reconnection events. */
    events: ReconnectEvents,
    /** The most ACK/NACK frames the broker may have unread (see {@link LinkOptions.ackWindow}). */
    ackWindow: number = options.ackWindow,
  ) {
    this.linkOptions = {
      username: options.username,
      password: options.password,
      heartbeatMs: options.heartbeatMs,
      connectTimeoutMs: options.connectTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs,
      ackWindow,
      sendWindow: options.sendWindow,
      logger,
      role,
    };
    this.connection = new ReconnectingConnection(
      {
        open: () => this.openLink(),
        close: (link) => link.close(),
        classify: classifyStompError,
      },
      {
        transport: 'stomp',
        role: `the ${role} connection`,
        policy: options.reconnect,
        logger,
        events,
        sendTimeoutMs: options.sendTimeoutMs,
        // At most `sendWindow` sends wait, as many as may be unconfirmed on a link.
        maxWaitingSends: options.sendWindow,
        backlogHint: ', or raise sendWindow to let more sends wait',
        onGiveUp: (error) => hooks.failed(error),
      },
    );
  }

  /** The current link while it is up. */
  get link(): StompLink | undefined {
    const link = this.connection.session;
    return link?.isOpen ? link : undefined;
  }

  /** Connect for the first time: each address once, no back-off. Rejects with a ConnectionError. */
  async open(): Promise<void> {
    await this.connection.open();
  }

  /**
   * Queue a frame on the current link. While the channel reconnects, frames with `retryUntil` wait
   * for the next link; others fail at once.
   */
  write(frame: RetryableFrame): void {
    const link = this.link;
    if (link) {
      link.write(frame.retryUntil === undefined ? frame : this.retrying(frame));
    } else if (frame.retryUntil !== undefined && this.connection.reconnecting) {
      this.wait(frame);
    } else {
      frame.onFailed?.(
        new ConnectionError(
          this.connection.closed
            ? `stomp transport: the ${this.role} connection is closed`
            : `stomp transport: the ${this.role} connection is down; the broker is being reconnected`,
        ),
      );
    }
  }

  /** Log out and close; frames still waiting fail (with `reason`, if given). */
  close(reason?: Error): Promise<void> {
    return this.connection.close(reason);
  }

  private async openLink(): Promise<StompLink> {
    const link = await StompLink.connectAny(this.options.addresses, this.linkOptions);
    link.onLost = (error) => {
      if (link !== this.connection.session) return;
      this.hooks.linkLost(link, error);
      this.connection.lost(link, error);
    };
    try {
      await this.hooks.linkUp(link);
      if (!link.isOpen)
        throw new ConnectionError(`stomp transport: the ${this.role} connection dropped while set up`);
    } catch (error) {
      link.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    return link;
  }

  /** A copy of the frame that, if its link drops, waits for the next one instead of failing. */
  private retrying(frame: RetryableFrame): RetryableFrame {
    return {
      ...frame,
      onFailed: (error: Error) => {
        if (
          Date.now() < frame.retryUntil! &&
          this.options.reconnect !== false &&
          classifyStompError(error) === 'connection' &&
          !this.connection.closed
        ) {
          // The broker may have stored the SEND before the link dropped: the copy says it may be one.
          this.wait(
            frame.command === 'SEND'
              ? { ...frame, headers: { ...frame.headers, [RESENT_HEADER]: 'true' } }
              : frame,
          );
        } else {
          frame.onFailed?.(error);
        }
      },
    };
  }

  /** Keep a send for the next link, within the bounds of the shared waiting room. */
  private wait(frame: RetryableFrame): void {
    this.connection.forSend(bodyLength(frame), frame.retryUntil!).then(
      () => this.write(frame),
      (error: Error) => frame.onFailed?.(error),
    );
  }
}
