/**
 * The STOMP transport: Zocalo on ActiveMQ, wire-compatible with python-workflows' StompTransport.
 *
 * Connections: one for publishing, and one per subscription (ActiveMQ can deadlock a connection that
 * publishes heavily while it consumes). A transaction lives on one connection, so that its sends and
 * acks commit together: begun with `{ subscription }` it uses that subscription's connection (sends
 * included); otherwise it binds to the connection of its first send or ack, and later frames must use
 * the same one.
 *
 * nack: STOMP `NACK` dead-letters on ActiveMQ (`DLQ.<queue>`). ActiveMQ refuses a NACK inside a
 * transaction ("Poison ack cannot be transacted", and then the COMMIT), so a nack in a transaction is
 * sent after the COMMIT has succeeded, outside it. `nack(..., { requeue: true })` releases the message
 * by closing and reopening the subscription, which releases all of its unacknowledged messages
 * (wire-format.md): so the reopen waits until no other message of the subscription is in a callback's
 * hands (it would be processed twice), and messages arriving meanwhile are held back and released with
 * it. A NACK outside a transaction resolves once the broker has confirmed it.
 * Reconnection: see stomp-channel.ts.
 */
import type {
  Publication,
  ReceivedHeaders,
  SubscriptionRecord,
  TransactionId,
  TransactionOptions,
  TransportCapabilities,
} from '@zocalo/workflows';
import { CommonTransport, ConnectionError, InvalidArgumentError, ReconnectEvents } from '@zocalo/workflows';
import type { RetryableFrame } from './stomp-channel';
import { StompChannel } from './stomp-channel';
import {
  ackHeaders,
  checkFrameLimits,
  stompReceivedHeaders,
  sendHeaders,
  subscribeHeaders,
  subscriptionPrefetch,
} from './stomp-headers';
import type { IncomingHeaders, StompLink } from './stomp-link';
import type { ResolvedStompOptions, StompTransportOptions } from './stomp-settings';
import { resolveStompOptions } from './stomp-settings';

const CAPABILITIES: TransportCapabilities = Object.freeze({
  delay: true,
  expiration: true,
  transactions: true,
  selectors: true,
  priority: true,
  exclusive: true,
  retroactive: true,
  prefetch: true,
  nackRequeue: true,
  exchange: false,
});

const RESOLVED: Promise<void> = Promise.resolve();

/** The transport's state of one subscription (kept in `record.broker`). */
interface StompSubscription {
  readonly record: SubscriptionRecord;
  readonly channel: StompChannel;
  readonly stompId: string;
  readonly headers: Record<string, string>;
  /** Deliveries awaiting acknowledgement on the current link: message-id → the id an ACK names. */
  readonly unacked: Map<string, string>;
  /** Deliveries to release (nack with requeue) at the next reopen; while any wait, arrivals are held. */
  readonly releasing: Set<string>;
  /** False while MESSAGE frames belong to a subscription being reopened (they are released anyway). */
  accepting: boolean;
  reopening: Promise<void> | undefined;
}

/** The transport's state of one transaction. */
interface StompTransaction {
  readonly id: TransactionId;
  /** The STOMP transaction id (unique per connection is enough; ours are unique per process). */
  readonly stompId: string;
  channel: StompChannel | undefined;
  link: StompLink | undefined;
  /** Set when the broker rolled the transaction back because its connection dropped. */
  lost: Error | undefined;
  /** Acks inside the transaction, forgotten on commit. */
  readonly acked: Array<[StompSubscription, string]>;
  /** Deliveries to release on commit (nack with requeue inside the transaction). */
  readonly requeue: Array<[StompSubscription, string]>;
  /** Deliveries to dead-letter after the commit, outside the transaction (ActiveMQ refuses it inside). */
  readonly rejected: Array<[StompSubscription, string]>;
}

let transactionCounter = 0;

export class StompTransport extends CommonTransport {
  readonly name = 'stomp';
  readonly capabilities = CAPABILITIES;
  readonly options: ResolvedStompOptions;
  private publisher: StompChannel | undefined;
  private readonly open = new Map<TransactionId, StompTransaction>();
  /** One stream of reconnection events for all the transport's connections. */
  private readonly reconnectEvents = new ReconnectEvents((event) => this.emit(event));

  constructor(options: StompTransportOptions = {}) {
    super(options);
    this.options = resolveStompOptions(options);
  }

  // ---------------------------------------------------------------- connection

  protected async connectBroker(): Promise<void> {
    const publisher = this.channel('publisher', {
      linkUp: async () => undefined,
      linkLost: () => this.loseTransactions(publisher),
    });
    await publisher.open();
    this.publisher = publisher;
  }

  protected async disconnectBroker(): Promise<void> {
    // Closing ends any outage without a `reconnected`: the base class reports `disconnected`.
    this.reconnectEvents.clear();
    const closing: Array<Promise<void>> = [];
    for (const record of this.subscriptions.values()) closing.push(this.state(record).channel.close());
    if (this.publisher) closing.push(this.publisher.close());
    this.publisher = undefined;
    this.open.clear();
    await Promise.all(closing);
  }

  /** A channel whose reconnection events join the transport's one stream. */
  private channel(
    role: string,
    hooks: { linkUp(link: StompLink): Promise<void>; linkLost(link: StompLink, error: Error): void },
    ackWindow?: number,
  ): StompChannel {
    return new StompChannel(
      role,
      this.options,
      this.logger,
      { ...hooks, failed: (error) => this.giveUp(error) },
      this.reconnectEvents,
      ackWindow,
    );
  }

  /**
   * Reconnection of one connection gave up: close every other connection (their reconnection timers
   * and waiting sends go with them) and end as disconnected, reporting the reason.
   */
  private giveUp(error: Error): void {
    if (!this.isConnected()) return;
    const channels: StompChannel[] = [];
    for (const record of this.subscriptions.values()) {
      const state = this.state(record);
      state.accepting = false;
      state.unacked.clear();
      channels.push(state.channel);
    }
    if (this.publisher) channels.push(this.publisher);
    this.publisher = undefined;
    this.open.clear();
    this.reconnectEvents.clear();
    for (const channel of channels) void channel.close(error);
    this.connectionFailed(error);
  }

  /**
   * ActiveMQ dead-letters a non-persistent message only when the queue's dead-letter strategy sets
   * `processNonPersistent="true"` (scripts/brokers/activemq.xml does); by default a NACK drops it.
   * ActiveMQ marks a persistent message `persistent:true` on delivery and leaves the header out
   * otherwise.
   */
  rejectCaveat(header: ReceivedHeaders): string | undefined {
    if (header.persistent === 'true' || header.persistent === true) return undefined;
    return (
      'ActiveMQ discards non-persistent messages instead of dead-lettering them, unless the ' +
      'dead-letter strategy of the queue sets processNonPersistent="true"'
    );
  }

  // ---------------------------------------------------------------- sending

  /**
   * ActiveMQ reads `/queue/a,b` as a composite destination: a send goes to both queues, a subscription
   * takes from both, and `b` is outside the prefix. python-workflows passes such a name on as it is.
   */
  protected override checkDestination(kind: 'queue' | 'topic', name: string): void {
    if (name.includes(',')) {
      const parts = name.split(',').map((part) => JSON.stringify(part));
      const prefix = this.options.prefix;
      throw new InvalidArgumentError(
        `stomp transport: ${kind} name ${JSON.stringify(name)} contains a comma. ActiveMQ treats a comma ` +
          `as a composite destination: the name stands for ${parts.slice(0, -1).join(', ')} and ` +
          `${parts.at(-1)} at once` +
          (prefix === '' ? '' : `, all but the first outside the prefix ${JSON.stringify(prefix)}`) +
          `; send to (or subscribe to) each ${kind} by its own name instead`,
      );
    }
  }

  protected publish(publication: Publication): Promise<void> {
    const headers = sendHeaders(publication, this.options.prefix);
    try {
      checkFrameLimits(headers, Number(headers['content-length']), this.options);
    } catch (error) {
      return Promise.reject(error);
    }
    let channel = this.publisher!;
    let retryUntil: number | undefined = Date.now() + this.options.sendTimeoutMs;
    if (publication.transaction !== undefined) {
      const transaction = this.open.get(publication.transaction)!;
      channel = this.bind(transaction, transaction.channel ?? this.publisher!, 'send');
      headers.transaction = transaction.stompId;
      retryUntil = undefined;
    }
    return new Promise((resolve, reject) => {
      channel.write({
        command: 'SEND',
        headers,
        body: publication.body,
        kind: 'send',
        receipt: this.options.receipts === 'every',
        retryUntil,
        onConfirmed: resolve,
        onFailed: reject,
      } satisfies RetryableFrame);
    });
  }

  // ---------------------------------------------------------------- subscribing

  protected async openSubscription(record: SubscriptionRecord): Promise<void> {
    const headers = subscribeHeaders(record, this.options.prefix, this.options.defaultPrefetch);
    const stompId = headers.id;
    // The broker never has more unread ACKs than it has messages out to us: with a known prefetch within
    // the ack window there is nothing to bound, and no ACK needs a (costly, synchronous) receipt.
    const prefetch = subscriptionPrefetch(record, this.options.defaultPrefetch);
    const ackWindow = prefetch !== undefined && prefetch <= this.options.ackWindow ? Infinity : undefined;
    const channel = this.channel(
      `subscription ${record.id} (${headers.destination})`,
      {
        linkUp: async (link) => {
          state.accepting = true;
          link.handle(stompId, (incoming, body) => this.onMessage(state, incoming, body));
          await link.request('SUBSCRIBE', headers);
        },
        linkLost: () => {
          this.release(state);
          this.loseTransactions(channel);
        },
      },
      ackWindow,
    );
    const state: StompSubscription = {
      record,
      channel,
      stompId,
      headers,
      unacked: new Map(),
      releasing: new Set(),
      accepting: true,
      reopening: undefined,
    };
    record.broker = state;
    await channel.open();
  }

  protected async closeSubscription(record: SubscriptionRecord): Promise<void> {
    const state = this.state(record);
    state.accepting = false;
    state.unacked.clear();
    this.loseTransactions(state.channel);
    const link = state.channel.link;
    if (link) link.write({ command: 'UNSUBSCRIBE', headers: { id: state.stompId }, kind: 'control' });
    await state.channel.close();
  }

  private onMessage(state: StompSubscription, incoming: IncomingHeaders, body: Buffer): void {
    if (!state.accepting) return;
    const record = state.record;
    const header = stompReceivedHeaders(incoming, record.id);
    // Every subscription is client-individual: those without acknowledgement are acked in handedOver.
    const messageId = header['message-id'];
    state.unacked.set(messageId, String(incoming.ack ?? messageId));
    // A release is waiting for the messages in hand: this one goes back with it, unseen.
    if (state.releasing.size > 0) return;
    this.deliver(record, header, body);
  }

  /**
   * Forget the deliveries of a subscription whose messages the broker has taken back (its connection
   * dropped, or it was reopened): acks of them are dropped with a warning (by the base class, which no
   * longer finds them outstanding), and those still waiting for the callback are dropped, as the broker
   * redelivers them (also those of a subscription without acknowledgement: they are acked only as they
   * are handed to the callback). A callback still running keeps its subscription busy, so callbacks
   * never overlap.
   */
  private release(state: StompSubscription): void {
    state.unacked.clear();
    state.releasing.clear();
    this.forgetDeliveries(state.record, true);
  }

  /**
   * Release every unacknowledged message of a subscription for redelivery: UNSUBSCRIBE, then SUBSCRIBE
   * again on the same connection. MESSAGE frames that arrive before the UNSUBSCRIBE is confirmed belong
   * to the old subscription (the broker releases them too) and are dropped.
   */
  /**
   * Release these deliveries once no other delivery of the subscription is in a callback's hands:
   * reopening releases every unacknowledged message, and one still being processed would come back
   * and be processed twice. Returns the reopen if it starts now.
   */
  private releaseLater(state: StompSubscription, messageIds: Iterable<string>): Promise<void> {
    for (const messageId of messageIds) if (state.unacked.has(messageId)) state.releasing.add(messageId);
    return this.releaseWhenIdle(state);
  }

  private releaseWhenIdle(state: StompSubscription): Promise<void> {
    if (state.releasing.size === 0 || state.reopening) return RESOLVED;
    const outstanding = state.record.outstanding;
    for (const messageId of state.unacked.keys()) {
      if (!state.releasing.has(messageId) && outstanding.has(messageId)) return RESOLVED;
    }
    return this.reopen(state);
  }

  private reopen(state: StompSubscription): Promise<void> {
    if (state.reopening) return state.reopening;
    const link = state.channel.link;
    if (!link) return RESOLVED; // Reconnecting: the broker has released everything already.
    state.accepting = false;
    this.release(state);
    const done = new Promise<void>((resolve) => {
      link.write({
        command: 'UNSUBSCRIBE',
        headers: { id: state.stompId },
        kind: 'control',
        receipt: true,
        onConfirmed: () => {
          state.accepting = true;
        },
        onFailed: () => resolve(),
      });
      link.write({
        command: 'SUBSCRIBE',
        headers: state.headers,
        kind: 'control',
        receipt: true,
        onConfirmed: resolve,
        onFailed: () => resolve(),
      });
    });
    state.reopening = done.finally(() => {
      state.reopening = undefined;
    });
    return state.reopening;
  }

  private state(record: SubscriptionRecord): StompSubscription {
    return record.broker as StompSubscription;
  }

  // ---------------------------------------------------------------- acknowledgement

  /**
   * A message of a subscription without acknowledgement goes to its callback: ack it now (before the
   * callback runs: at most once, as `ack: auto` would), which lets the broker send the next one.
   */
  protected override handedOver(record: SubscriptionRecord, header: ReceivedHeaders): void {
    const state = this.state(record);
    const messageId = header['message-id'];
    const ackId = state.unacked.get(messageId);
    const link = state.channel.link;
    // Released (the link dropped): the broker has taken the message back.
    if (ackId === undefined || !link) return;
    state.unacked.delete(messageId);
    link.write({
      command: 'ACK',
      headers: ackHeaders(link.version, ackId, messageId, state.stompId, undefined),
      kind: 'ack',
    });
  }

  protected ackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    return this.acknowledge(record, header, 'ACK', transaction);
  }

  protected nackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    requeue: boolean,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    if (!requeue) return this.acknowledge(record, header, 'NACK', transaction);
    const state = this.state(record);
    const messageId = header['message-id'];
    if (!state.unacked.has(messageId)) return this.stale('nack', header);
    if (transaction === undefined) return this.releaseLater(state, [messageId]);
    try {
      const open = this.open.get(transaction)!;
      this.bind(open, state.channel, 'nack');
      open.requeue.push([state, messageId]);
      return RESOLVED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private acknowledge(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    command: 'ACK' | 'NACK',
    transaction: TransactionId | undefined,
  ): Promise<void> {
    const state = this.state(record);
    const messageId = header['message-id'];
    const ackId = state.unacked.get(messageId);
    const link = state.channel.link;
    if (ackId === undefined || !link) return this.stale(command.toLowerCase(), header);
    if (transaction !== undefined) {
      try {
        const open = this.open.get(transaction)!;
        this.bind(open, state.channel, command.toLowerCase());
        if (command === 'NACK') {
          open.rejected.push([state, messageId]);
          return RESOLVED;
        }
        open.acked.push([state, messageId]);
        link.write({
          command,
          headers: ackHeaders(link.version, ackId, messageId, state.stompId, open.stompId),
          kind: 'ack',
        });
        return RESOLVED;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    state.unacked.delete(messageId);
    const confirmed = this.settleOnLink(state, link, command, ackId, messageId);
    void this.releaseWhenIdle(state);
    return confirmed;
  }

  /**
   * Write an ACK or NACK outside any transaction. A NACK (rare, and it must be known to have happened:
   * the message is dead-lettered) resolves once the broker confirmed it. An ACK resolves at once: a
   * callback waiting for a confirmation of each ACK would cost a round trip per message, and a
   * receipted ACK makes ActiveMQ update its store synchronously. An ACK lost with the connection
   * means a redelivery, flagged `redelivered` (with `persistJMSRedelivered` on the broker, also after
   * a restart); for acknowledgements that are confirmed, ack inside a transaction (the service
   * runtime's default), whose COMMIT is.
   */
  private settleOnLink(
    state: StompSubscription,
    link: StompLink,
    command: 'ACK' | 'NACK',
    ackId: string,
    messageId: string,
  ): Promise<void> {
    const headers = ackHeaders(link.version, ackId, messageId, state.stompId, undefined);
    if (command === 'ACK') {
      link.write({ command, headers, kind: 'ack' });
      return RESOLVED;
    }
    return new Promise((resolve, reject) => {
      link.write({ command, headers, kind: 'ack', receipt: true, onConfirmed: resolve, onFailed: reject });
    });
  }

  private stale(operation: string, header: ReceivedHeaders): Promise<void> {
    this.logger.warn(
      { operation, messageId: header['message-id'], subscription: header.subscription },
      `${operation} dropped: the message was released (its connection dropped or the subscription was reopened) ` +
        'and the broker redelivers it',
    );
    return RESOLVED;
  }

  // ---------------------------------------------------------------- transactions

  protected async beginTransaction(transaction: TransactionId, options: TransactionOptions): Promise<void> {
    const open: StompTransaction = {
      id: transaction,
      stompId: `zocalo-${process.pid}-${++transactionCounter}`,
      channel: undefined,
      link: undefined,
      lost: undefined,
      acked: [],
      requeue: [],
      rejected: [],
    };
    this.open.set(transaction, open);
    if (options.subscription !== undefined) {
      const record = this.subscriptions.get(options.subscription)!;
      this.bind(open, this.state(record).channel, 'begin');
    }
  }

  /**
   * Tie a transaction to a connection (sending BEGIN there) on first use; later uses must be on the
   * same connection. Returns the channel to write on.
   */
  private bind(open: StompTransaction, channel: StompChannel, operation: string): StompChannel {
    if (open.lost) throw open.lost;
    if (open.channel === undefined) {
      const link = channel.link;
      if (!link) {
        throw new ConnectionError(
          `stomp transport: cannot ${operation} in transaction ${open.id}: the ${channel.role} connection is down`,
        );
      }
      open.channel = channel;
      open.link = link;
      link.write({ command: 'BEGIN', headers: { transaction: open.stompId }, kind: 'control' });
      return channel;
    }
    if (open.channel !== channel) {
      throw new InvalidArgumentError(
        `stomp transport: transaction ${open.id} runs on the ${open.channel.role} connection and cannot ` +
          `${operation} on the ${channel.role} connection; begin it with { subscription } to have the ` +
          "subscription's acks and your sends in one transaction",
      );
    }
    if (channel.link !== open.link) throw this.rolledBack(open);
    return channel;
  }

  private rolledBack(open: StompTransaction): Error {
    open.lost ??= new ConnectionError(
      `stomp transport: transaction ${open.id} was rolled back by the broker because its connection ` +
        `(${open.channel?.role ?? 'unknown'}) dropped: none of its sends were published and its acks did not happen`,
    );
    return open.lost;
  }

  /** The broker rolls back the transactions of a connection that dropped. */
  private loseTransactions(channel: StompChannel): void {
    for (const open of this.open.values()) if (open.channel === channel) this.rolledBack(open);
  }

  protected async commitTransaction(transaction: TransactionId): Promise<void> {
    const open = this.open.get(transaction)!;
    this.open.delete(transaction);
    if (open.channel === undefined) return;
    const link = open.channel.link;
    if (open.lost || link !== open.link || !link) throw this.rolledBack(open);
    await link.request('COMMIT', { transaction: open.stompId });
    const touched = new Set<StompSubscription>();
    for (const [state, messageId] of open.acked) {
      state.unacked.delete(messageId);
      touched.add(state);
    }
    // Dead-letter the transaction's nacks now, outside it. A delivery released meanwhile (its
    // connection dropped) comes back from the broker instead, and is rejected again then.
    const rejecting: Array<Promise<void>> = [];
    for (const [state, messageId] of open.rejected) {
      const ackId = state.unacked.get(messageId);
      if (ackId === undefined || state.channel.link !== link) continue;
      state.unacked.delete(messageId);
      touched.add(state);
      rejecting.push(this.settleOnLink(state, link, 'NACK', ackId, messageId));
    }
    for (const [state, messageId] of open.requeue) {
      if (state.unacked.has(messageId)) state.releasing.add(messageId);
      touched.add(state);
    }
    await Promise.all([...rejecting, ...[...touched].map((state) => this.releaseWhenIdle(state))]);
  }

  protected async abortTransaction(transaction: TransactionId): Promise<void> {
    const open = this.open.get(transaction)!;
    this.open.delete(transaction);
    const link = open.channel?.link;
    if (open.channel === undefined || open.lost || !link || link !== open.link) return;
    await link.request('ABORT', { transaction: open.stompId });
  }
}
