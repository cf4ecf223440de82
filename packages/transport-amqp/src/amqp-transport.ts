/**
 * The RabbitMQ transport: the broker hooks of {@link CommonTransport} mapped onto amqplib.
 *
 * Connections: one for publishing and one for consuming (RabbitMQ blocks publishing connections under
 * memory pressure; acks on a separate connection keep consumers draining). Publishing uses one confirm
 * channel with `mandatory`; each subscription has a channel of its own (its prefetch, its acks, and
 * the transactions bound to it). A dropped connection closes both; @zocalo/workflows'
 * ReconnectingConnection opens a new session (this file supplies the hooks: open, close, classify,
 * restore every subscription), and sends in flight are published again.
 */
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import type {
  ConnectionErrorKind,
  Publication,
  ReconnectPolicy,
  ReceivedHeaders,
  SubscriptionRecord,
  TransactionId,
  TransactionOptions,
  TransportCapabilities,
} from '@zocalo/workflows';
import {
  BrokerError,
  CommonTransport,
  ConnectionError,
  DestinationNotFoundError,
  LoginRefusedError,
  RESENT_HEADER,
  ReconnectEvents,
  ReconnectingConnection,
  reconnectDelay,
  TransportConfigError,
  isZocaloError,
  within,
} from '@zocalo/workflows';
import { isLoginFailure } from './amqp-connection';
import type { AmqpTransportOptions, ResolvedAmqpOptions } from './amqp-settings';
import { resolveAmqpOptions } from './amqp-settings';
import { ChannelLostError } from './confirm-publisher';
import { deadLetterOptions } from './dead-letter';
import { undecodableReason } from './frame-guard';
import { amqpReceivedHeaders } from './received-headers';
import type { Route } from './routing';
import { bodyBuffer, checkAmqpLimits, publishOptions, Router } from './routing';
import type { Session } from './session';
import { closeSession, openSession, publisherOf } from './session';
import { deadLetterQueueName, isNotFound } from './topology';
import { TransactionBook } from './transactions';
import type { AckAction } from './tx-channel';
import { TxChannel, writeAck } from './tx-channel';

const CAPABILITIES: TransportCapabilities = Object.freeze({
  delay: true,
  expiration: true,
  transactions: true,
  selectors: false,
  priority: true,
  exclusive: true,
  retroactive: false,
  prefetch: true,
  nackRequeue: true,
  exchange: true,
});

/** A send is published again after a lost channel at most this many times. */
const PUBLISH_ATTEMPTS = 5;
/** On disconnect, wait this long at most for sends in flight to be confirmed. */
const DISCONNECT_CONFIRM_WAIT_MS = 5000;
/** Backoff of attempts to open a subscription's consumer again (standby or restart), in ms. */
const RESUBSCRIBE_BACKOFF: ReconnectPolicy = { initialDelayMs: 200, maxDelayMs: 2000, attempts: Infinity };
/**
 * After the broker cancelled a consumer because its queue was deleted, wait this long before declaring
 * it again, so that the broker has finished removing the old queue. (Even so, RabbitMQ 3.10 sometimes
 * keeps a ghost of the old consumer on a quorum queue re-declared under the same name, which takes the
 * messages: see the README.)
 */
const QUEUE_DELETED_WAIT_MS = 1000;
/** After subscribing again to a deleted queue, check this much later that the queue is still there. */
const VERIFY_QUEUE_MS = 1000;
/**
 * Prefetch of subscriptions without acknowledgement that set none: how far the broker may push ahead
 * of the callback (such messages are acked as they are handed to it).
 */
export const NO_ACK_PREFETCH = 100;
/** A subscription whose channel the broker closed is opened again at most this many times in a row. */
const RESTART_ATTEMPTS = 10;

const RESOLVED: Promise<void> = Promise.resolve();

/** The token of a fast-path publish: what to publish again if its channel is lost, and until when. */
interface PendingSend {
  readonly publication: Publication;
  readonly deadline: number;
}

/** The broker side of one subscription (kept in `record.broker`). */
interface SubscriptionState {
  channel: Channel | undefined;
  /** The queue consumed: the destination, or the server-named queue of a broadcast subscription. */
  queue: string;
  readonly consumerTag: string;
  /** How `nack` without requeue dead-letters (see dead-letter.ts). */
  deadLetter: 'broker' | 'self';
  /** The queue was declared by this transport, with a dead-letter exchange. */
  declaredByUs: boolean;
  /** Set once a transaction used this channel: it is then in AMQP transaction mode. */
  tx: TxChannel | undefined;
  /** Unacknowledged deliveries by tag, kept only where the transport dead-letters by itself. */
  readonly messages: Map<number, ConsumeMessage>;
  /** A pending attempt to open the consumer again (standby, or after the broker closed it). */
  retryTimer: NodeJS.Timeout | undefined;
  retryAttempt: number;
}

export class AmqpTransport extends CommonTransport {
  readonly name = 'amqp';
  readonly capabilities = CAPABILITIES;
  readonly options: ResolvedAmqpOptions;

  /** The session (both connections), kept up by the shared reconnection of @zocalo/workflows. */
  private readonly connection: ReconnectingConnection<Session>;
  private readonly reconnectEvents = new ReconnectEvents((event) => this.emit(event));
  private closing = false;
  private readonly router: Router;
  private readonly openTransactions = new TransactionBook();
  /** The broker address that answered last: reconnection tries it first. */
  private addressIndex = 0;

  constructor(options: AmqpTransportOptions = {}) {
    super(options);
    this.options = resolveAmqpOptions(options);
    this.router = new Router(this.name);
    this.connection = new ReconnectingConnection<Session>(
      {
        open: () => this.newSession(),
        close: closeSession,
        classify: classifyAmqpError,
        restore: (session) => this.resubscribeAll(session),
      },
      {
        transport: this.name,
        role: 'the connection to RabbitMQ',
        policy: this.options.reconnect,
        logger: this.logger,
        events: this.reconnectEvents,
        sendTimeoutMs: this.options.sendTimeoutMs,
        onGiveUp: (error) => this.giveUp(error),
      },
    );
  }

  /** The current session while it is up. */
  private get session(): Session | undefined {
    return this.connection.session;
  }

  // ---------------------------------------------------------------- connection

  protected async connectBroker(): Promise<void> {
    this.closing = false;
    await this.connection.open();
  }

  private async newSession(): Promise<Session> {
    const session = await openSession(this.options, this.name, this.logger, this.addressIndex);
    this.addressIndex = session.addressIndex;
    session.onLost = (error) => this.connectionLost(session, error);
    session.onPublishLost = (token, error) => {
      const { publication, deadline } = token as PendingSend;
      return this.afterLostChannel(publication, error, 1).then(() =>
        this.publishWithRetry(publication, 2, deadline),
      );
    };
    return session;
  }

  protected async disconnectBroker(): Promise<void> {
    this.closing = true;
    this.reconnectEvents.clear();
    const session = this.session;
    this.openTransactions.clear();
    const publisher = session?.publisher;
    if (session && publisher && publisher.pending > 0) {
      // Closing: a connection that drops now is not reconnected.
      session.lost = true;
      await within(publisher.settled(), DISCONNECT_CONFIRM_WAIT_MS);
    }
    for (const record of this.subscriptions.values()) {
      const state = this.stateOf(record);
      state.channel = undefined;
      this.cancelRetry(state);
    }
    // A reconnection in progress ends (and closes what it opened) before disconnect returns.
    await this.connection.close();
  }

  /** Called once when either connection of a session closes without being asked to. */
  private connectionLost(session: Session, error: Error | undefined): void {
    if (this.session !== session || this.closing) return;
    for (const record of this.subscriptions.values()) {
      const state = this.stateOf(record);
      state.channel = undefined;
      state.tx = undefined;
      state.messages.clear();
      // Unacknowledged messages come back from the broker (also those of subscriptions without
      // acknowledgement not yet handed to the callback); acks of the old deliveries are dropped.
      this.forgetDeliveries(record, true);
    }
    this.router.clear();
    this.connection.lost(session, error);
  }

  /**
   * Open every subscription's consumer on a new session. One that fails for a reason of its own (its
   * queue is gone and may not be declared, say) is logged and retried later; a lost connection fails
   * the whole attempt.
   */
  private async resubscribeAll(session: Session): Promise<void> {
    for (const record of [...this.subscriptions.values()]) {
      if (session.lost)
        throw new ConnectionError('amqp transport: connection lost again while resubscribing');
      try {
        await this.startConsumer(session, record);
      } catch (error) {
        if (session.lost) throw error;
        this.logger.error(
          { err: error, subscription: record.id, destination: record.destination },
          'amqp transport: could not subscribe again after reconnecting; retrying',
        );
        this.scheduleRetry(record, false);
      }
    }
  }

  /** Reconnection gave up (or is off): clear every timer and channel, then end as disconnected. */
  private giveUp(error: ConnectionError): void {
    this.openTransactions.clear();
    this.router.clear();
    for (const record of this.subscriptions.values()) {
      const state = this.stateOf(record);
      this.cancelRetry(state);
      state.retryAttempt = 0;
      state.channel = undefined;
      state.tx = undefined;
      state.messages.clear();
    }
    this.connectionFailed(error);
  }

  /** The current session, waiting for a reconnection in progress. */
  private readySession(): Promise<Session> {
    return this.connection.ready();
  }

  // ---------------------------------------------------------------- sending

  protected publish(publication: Publication): Promise<void> {
    try {
      checkAmqpLimits(publication);
    } catch (error) {
      return Promise.reject(error);
    }
    if (publication.transaction !== undefined) return this.publishInTransaction(publication);
    const session = this.session;
    // Every send is bounded by sendTimeout from now: waiting for a reconnection, and unconfirmed.
    const deadline = Date.now() + this.options.sendTimeoutMs;
    // Fast path: an ordinary send or a broadcast to a known exchange needs no preparation.
    if (
      session &&
      !session.lost &&
      session.publisher &&
      !session.publisher.closed &&
      publication.delay === undefined
    ) {
      const direct = publication.kind === 'queue' && publication.exchange === undefined;
      if (
        direct ||
        (publication.kind === 'topic' && session.topology.known('fanout', publication.destination))
      ) {
        return session.publisher.publish(
          direct ? '' : publication.destination,
          direct ? publication.destination : '',
          bodyBuffer(publication),
          publishOptions(publication),
          // Published again after a lost channel, it still has sendTimeout from now, not from then.
          { publication, deadline } satisfies PendingSend,
          deadline,
        );
      }
    }
    return this.publishWithRetry(publication, 1, deadline);
  }

  /** Check what a lost publishing channel means for this publication; throws if it cannot be sent. */
  private async afterLostChannel(
    publication: Publication,
    error: ChannelLostError,
    attempt: number,
  ): Promise<void> {
    if (attempt >= PUBLISH_ATTEMPTS) {
      throw new ConnectionError(
        `amqp transport: could not publish to "${publication.destination}" after ${attempt} attempts: ${error.message}`,
        { cause: error },
      );
    }
    const missing = /no exchange '([^']*)'/.exec(error.reason)?.[1];
    if (missing !== undefined) {
      this.session?.topology.forget('exchange', missing);
      if (publication.kind === 'queue' && publication.exchange === missing) {
        throw new BrokerError(
          `amqp transport: no exchange "${missing}" on the broker; the message was not sent`,
        );
      }
    }
  }

  /**
   * The session to publish on, waiting (within bounds: count, bytes, and time until `deadline`) for a
   * reconnection in progress.
   */
  private publishingSession(publication: Publication, deadline: number): Promise<Session> {
    const body = publication.body;
    return this.connection.forSend(
      typeof body === 'string' ? Buffer.byteLength(body) : body.length,
      deadline,
    );
  }

  /** Publish, again on a new channel if one is lost, until `deadline` (ms since the epoch). */
  private async publishWithRetry(publication: Publication, attempt: number, deadline: number): Promise<void> {
    for (;;) {
      const session = await this.publishingSession(publication, deadline);
      const route = await this.router.route(session, publication);
      try {
        const publisher = await publisherOf(session);
        // A copy published again after its channel was lost unconfirmed may be the second one to arrive.
        const options =
          attempt > 1
            ? { ...route.options, headers: { ...route.options.headers, [RESENT_HEADER]: true } }
            : route.options;
        await publisher.publish(
          route.exchange,
          route.routingKey,
          route.content,
          options,
          undefined,
          deadline,
        );
        return;
      } catch (error) {
        if (!(error instanceof ChannelLostError)) throw error;
        await this.afterLostChannel(publication, error, attempt);
        attempt++;
      }
    }
  }

  // ---------------------------------------------------------------- subscriptions

  private stateOf(record: SubscriptionRecord): SubscriptionState {
    return record.broker as SubscriptionState;
  }

  protected async openSubscription(record: SubscriptionRecord): Promise<void> {
    const session = await this.readySession();
    const state: SubscriptionState = {
      channel: undefined,
      queue: record.destination,
      consumerTag: String(record.id),
      deadLetter: 'self',
      declaredByUs: false,
      tx: undefined,
      messages: new Map(),
      retryTimer: undefined,
      retryAttempt: 0,
    };
    record.broker = state;
    await this.startConsumer(session, record);
  }

  /** Open the subscription's channel, declare or bind its queue, and start consuming. */
  private async startConsumer(session: Session, record: SubscriptionRecord): Promise<void> {
    const state = this.stateOf(record);
    if (this.subscriptions.get(record.id) !== record) return;
    this.cancelRetry(state);
    if (record.kind === 'queue') await this.prepareQueue(session, record, state);
    const channel = await session.consumeModel.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.debug(
        { err: error, subscription: record.id },
        'amqp transport: subscription channel error',
      ),
    );
    channel.on('close', () => this.subscriptionChannelClosed(session, record, channel));
    state.channel = channel;
    state.tx = undefined;
    state.messages.clear();
    try {
      if (record.kind === 'temporary') {
        await channel.assertQueue(record.destination, { exclusive: true, autoDelete: true, durable: false });
      } else if (record.kind === 'topic') {
        await session.topology.ensureFanout(record.destination);
        const { queue } = await channel.assertQueue('', {
          exclusive: true,
          autoDelete: true,
          durable: false,
        });
        await channel.bindQueue(queue, record.destination, '');
        state.queue = queue;
      }
      // Subscriptions without acknowledgement are consumed with acks too (sent as each message is
      // handed to the callback, see handedOver), so that the prefetch bounds what the broker pushes
      // ahead of a slow callback: a noAck consumer has no limit, and the backlog would grow unbounded.
      await channel.prefetch(
        record.prefetch ?? (record.acknowledgement ? this.options.defaultPrefetch : NO_ACK_PREFETCH),
      );
      const consume: Options.Consume = {
        noAck: false,
        exclusive: record.exclusive,
        consumerTag: state.consumerTag,
      };
      if (record.priority !== undefined) consume.priority = record.priority;
      await channel.consume(
        state.queue,
        (message) => this.onMessage(record, state, channel, message),
        consume,
      );
      state.retryAttempt = 0;
      if (this.subscriptions.get(record.id) !== record || state.channel !== channel) {
        // Unsubscribed (or restarted) while this consumer was being set up.
        await channel.close().catch(() => undefined);
      }
    } catch (error) {
      state.channel = undefined;
      await channel.close().catch(() => undefined);
      if (isExclusiveUse(error)) {
        // ActiveMQ semantics: wait as a standby consumer until the exclusive one leaves.
        this.logger.info(
          { subscription: record.id, destination: record.destination },
          'amqp transport: the queue is in exclusive use by another consumer; standing by',
        );
        this.scheduleRetry(record, true);
        return;
      }
      // The queue vanished after it was found: ask the broker again next time.
      if (isNotFound(error)) session.topology.forget('queue', record.destination);
      throw this.subscribeError(record, error);
    }
  }

  /** A queue subscription: declare the queue if missing (or fail), and decide how to dead-letter. */
  private async prepareQueue(
    session: Session,
    record: SubscriptionRecord,
    state: SubscriptionState,
  ): Promise<void> {
    const queue = record.destination;
    if (this.options.declareQueues) {
      // An exclusive subscriber's queue gets single-active-consumer: quorum queues ignore `exclusive`.
      if (await session.topology.declareServiceQueue(queue, record.exclusive)) state.declaredByUs = true;
    } else if (!(await session.topology.queueExists(queue))) {
      throw new DestinationNotFoundError(queue, this.name);
    }
    state.deadLetter = state.declaredByUs || this.options.deadLetter === 'broker' ? 'broker' : 'self';
  }

  private subscribeError(record: SubscriptionRecord, error: unknown): Error {
    const code = (error as { code?: unknown } | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    if (isNotFound(error)) return new DestinationNotFoundError(record.destination, this.name);
    if (code === 403) {
      return new BrokerError(
        `amqp transport: RabbitMQ refused the subscription to "${record.destination}": ${message}`,
        {
          cause: error,
        },
      );
    }
    if (isZocaloError(error)) return error;
    return new BrokerError(`amqp transport: could not subscribe to "${record.destination}": ${message}`, {
      cause: error,
    });
  }

  private onMessage(
    record: SubscriptionRecord,
    state: SubscriptionState,
    channel: Channel,
    message: ConsumeMessage | null,
  ): void {
    if (state.channel !== channel) return;
    if (message === null) {
      // The broker cancelled the consumer: the queue was deleted.
      this.restartSubscription(record, channel, 'the broker cancelled the consumer (queue deleted?)', true);
      return;
    }
    let header: ReceivedHeaders | undefined;
    let problem = undecodableReason(message.properties);
    if (problem === undefined) {
      try {
        header = amqpReceivedHeaders(message, record.id, state.consumerTag);
      } catch (error) {
        problem = `its headers cannot be read (${error instanceof Error ? error.message : String(error)})`;
      }
    }
    if (header === undefined) {
      this.refuseUndeliverable(record, state, message, problem ?? 'its headers cannot be read');
      return;
    }
    if (record.acknowledgement && state.deadLetter === 'self') {
      state.messages.set(message.fields.deliveryTag, message);
    }
    this.deliver(record, header, message.content);
  }

  /**
   * A message whose headers cannot be decoded or read (frame-guard.ts) is dead-lettered here, with
   * its body, without reaching the subscriber: it would fail the same way on every delivery.
   */
  private refuseUndeliverable(
    record: SubscriptionRecord,
    state: SubscriptionState,
    message: ConsumeMessage,
    problem: string,
  ): void {
    const where = {
      subscription: record.id,
      destination: record.destination,
      deliveryTag: message.fields.deliveryTag,
      reason: problem,
    };
    if (!record.acknowledgement) {
      this.logger.error(
        where,
        `amqp transport: a message on ${record.destination} was dropped: ${problem}; the subscription ` +
          'takes messages without acknowledgement, so it cannot be dead-lettered',
      );
      return;
    }
    // What is left of it: the body and the delivery, with no properties.
    const bare: ConsumeMessage = { ...message, properties: { ...message.properties, headers: {} } };
    const header = amqpReceivedHeaders(bare, record.id, state.consumerTag);
    if (state.deadLetter === 'self') state.messages.set(message.fields.deliveryTag, bare);
    this.nackMessage(record, header, false, undefined).then(
      () =>
        this.logger.error(
          where,
          `amqp transport: a message on ${record.destination} was dead-lettered without being delivered: ${problem}`,
        ),
      (error: unknown) =>
        this.logger.error(
          { ...where, err: error },
          `amqp transport: a message on ${record.destination} could not be dead-lettered (${problem}); ` +
            'the broker redelivers it',
        ),
    );
  }

  private subscriptionChannelClosed(session: Session, record: SubscriptionRecord, channel: Channel): void {
    const state = this.stateOf(record);
    if (state.channel !== channel || session.lost || this.session !== session) return;
    this.restartSubscription(record, channel, 'the broker closed the subscription channel');
  }

  /** The channel or consumer of one subscription died alone: open it again on the same connection. */
  private restartSubscription(
    record: SubscriptionRecord,
    channel: Channel,
    reason: string,
    deleted = false,
  ): void {
    const state = this.stateOf(record);
    if (state.channel !== channel) return;
    state.channel = undefined;
    this.forgetDeliveries(record, true);
    state.messages.clear();
    this.logger.warn(
      { subscription: record.id, destination: record.destination },
      `amqp transport: ${reason}; subscribing again`,
    );
    // The queue may have been deleted: ask the broker again rather than trust what is cached.
    this.session?.topology.forget('queue', record.destination);
    // Subscribe again only once the old channel is closed: while it lives, RabbitMQ may attach its old
    // consumer to a queue re-declared under the same name (seen with quorum queues), and deliveries to
    // it would be lost to the new subscription.
    void channel
      .close()
      .catch(() => undefined)
      .then(() => this.scheduleRetry(record, false, deleted ? QUEUE_DELETED_WAIT_MS : 0));
  }

  /**
   * Try to open a subscription's consumer again later: a standby consumer waits indefinitely (with a
   * capped backoff) for the exclusive one to leave; a restart gives up after a few attempts.
   */
  private scheduleRetry(record: SubscriptionRecord, standby: boolean, minimumDelay = 0): void {
    const state = this.stateOf(record);
    if (state.retryTimer) return;
    state.retryAttempt++;
    const attempt = state.retryAttempt;
    const delay = Math.max(minimumDelay, reconnectDelay(attempt, RESUBSCRIBE_BACKOFF));
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      const session = this.session;
      if (this.subscriptions.get(record.id) !== record || state.channel || this.closing) return;
      if (!session || session.lost) {
        // Still reconnecting: try again once there is a connection.
        this.logger.debug(
          { subscription: record.id },
          'amqp transport: no connection to subscribe again on yet',
        );
        if (this.connection.reconnecting) this.scheduleRetry(record, standby);
        return;
      }
      this.startConsumer(session, record).then(
        () => {
          this.logger.info(
            { subscription: record.id, destination: record.destination, attempt },
            'amqp transport: subscribed again',
          );
          if (!standby && record.kind === 'queue') this.verifyQueue(session, record);
        },
        (error: unknown) => {
          if (standby || attempt < RESTART_ATTEMPTS) {
            this.logger.warn(
              { err: error, subscription: record.id },
              'amqp transport: subscribing again failed; retrying',
            );
            this.scheduleRetry(record, standby);
          } else {
            this.logger.error(
              { err: error, subscription: record.id, destination: record.destination },
              'amqp transport: could not subscribe again; the subscription receives nothing',
            );
          }
        },
      );
    }, delay);
    state.retryTimer.unref();
  }

  /**
   * A queue deleted while a subscriber re-attaches may still be found (and consumed from) while the
   * broker finishes deleting it, and then vanish without a second cancel: look again a moment later.
   */
  private verifyQueue(session: Session, record: SubscriptionRecord): void {
    const state = this.stateOf(record);
    const channel = state.channel;
    const timer = setTimeout(() => {
      if (!channel || state.channel !== channel || session.lost) return;
      session.topology.forget('queue', record.destination);
      session.topology.queueExists(record.destination).then(
        (exists) => {
          if (!exists)
            this.restartSubscription(record, channel, 'the queue vanished after subscribing again');
        },
        () => undefined,
      );
    }, VERIFY_QUEUE_MS);
    timer.unref();
  }

  private cancelRetry(state: SubscriptionState): void {
    if (state.retryTimer) clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
  }

  protected async closeSubscription(record: SubscriptionRecord): Promise<void> {
    const state = this.stateOf(record);
    this.cancelRetry(state);
    state.retryAttempt = 0;
    const channel = state.channel;
    state.channel = undefined;
    state.messages.clear();
    if (!channel) return;
    // Closing the channel releases its unacknowledged messages; auto-delete queues go with the consumer.
    await channel.cancel(state.consumerTag).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }

  // ---------------------------------------------------------------- acknowledgement

  /**
   * A message of a subscription without acknowledgement goes to its callback: ack it now (before the
   * callback runs: at most once, as noAck would), which lets the broker send the next one.
   */
  protected override handedOver(record: SubscriptionRecord, header: ReceivedHeaders): void {
    const state = this.stateOf(record);
    const channel = state.channel;
    // No channel: the delivery's channel is gone, and the broker has taken the message back.
    if (!channel) return;
    const tag = Number(header['message-id']);
    if (state.tx) {
      state.tx.now(() => writeAck(channel, tag, 'ack')).catch(() => undefined);
      return;
    }
    try {
      writeAck(channel, tag, 'ack');
    } catch {
      // The channel closed meanwhile: the broker redelivers the message to the new one.
    }
  }

  protected ackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    return this.settleDelivery(record, header, 'ack', transaction);
  }

  protected nackMessage(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    requeue: boolean,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    if (requeue) return this.settleDelivery(record, header, 'requeue', transaction);
    if (this.stateOf(record).deadLetter === 'broker')
      return this.settleDelivery(record, header, 'reject', transaction);
    return this.deadLetterItself(record, header, transaction);
  }

  private settleDelivery(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    action: AckAction,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    const state = this.stateOf(record);
    const tag = Number(header['message-id']);
    if (transaction !== undefined) {
      try {
        this.openTransactions
          .get(transaction, record)
          .acks.push({ record, channel: state.channel, tag, action });
      } catch (error) {
        return Promise.reject(error);
      }
      return RESOLVED;
    }
    state.messages.delete(tag);
    const channel = state.channel;
    if (!channel) {
      this.staleAck(record, header, action);
      return RESOLVED;
    }
    if (state.tx) {
      return state.tx
        .now(() => writeAck(channel, tag, action))
        .catch((error: unknown) => this.staleAck(record, header, action, error));
    }
    try {
      writeAck(channel, tag, action);
    } catch (error) {
      this.staleAck(record, header, action, error);
    }
    return RESOLVED;
  }

  private staleAck(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    action: AckAction,
    error?: unknown,
  ): void {
    this.logger.warn(
      { err: error, subscription: record.id, messageId: header['message-id'], action },
      'amqp transport: acknowledgement dropped: the channel of this delivery is gone; the broker redelivers the message',
    );
  }

  /** See dead-letter.ts: copy the message to `dlq.<queue>`, confirmed, then ack it. */
  private async deadLetterItself(
    record: SubscriptionRecord,
    header: ReceivedHeaders,
    transaction: TransactionId | undefined,
  ): Promise<void> {
    const state = this.stateOf(record);
    const tag = Number(header['message-id']);
    const message = state.messages.get(tag);
    if (!message) {
      // Cannot copy what we do not have: give it back rather than lose it.
      this.logger.error(
        { subscription: record.id, messageId: header['message-id'] },
        'amqp transport: cannot dead-letter a message whose content is gone; releasing it for redelivery',
      );
      return this.settleDelivery(record, header, 'requeue', transaction);
    }
    const source = record.kind === 'topic' ? record.destination : state.queue;
    const channel = state.channel;
    try {
      const session = await this.readySession();
      await session.topology.ensureDeadLetterQueue(source);
      const route: Route = {
        exchange: '',
        routingKey: deadLetterQueueName(source),
        content: message.content,
        options: deadLetterOptions(message, state.queue),
      };
      if (transaction !== undefined) {
        const open = this.openTransactions.get(transaction, record);
        open.routes.push(route);
        open.acks.push({ record, channel, tag, action: 'ack' });
        return;
      }
      const publisher = await publisherOf(session);
      await publisher.publish(route.exchange, route.routingKey, route.content, route.options);
    } catch (error) {
      // Not dead-lettered: release the message (it is no longer awaiting an ack) rather than strand it.
      if (transaction === undefined && channel && state.channel === channel) {
        state.messages.delete(tag);
        try {
          writeAck(channel, tag, 'requeue');
        } catch {
          // The channel is gone: the broker redelivers the message anyway.
        }
      }
      throw error;
    }
    if (state.channel === channel) await this.settleDelivery(record, header, 'ack', undefined);
    else this.staleAck(record, header, 'ack');
  }

  // ---------------------------------------------------------------- transactions

  protected async beginTransaction(transaction: TransactionId, options: TransactionOptions): Promise<void> {
    await this.readySession();
    const subscription =
      options.subscription === undefined ? undefined : this.subscriptions.get(options.subscription);
    this.openTransactions.begin(transaction, subscription);
  }

  private async publishInTransaction(publication: Publication): Promise<void> {
    const session = await this.readySession();
    const route = await this.router.route(session, publication);
    // Checked now so that a send to a missing queue fails here, not half-way through the commit.
    if (
      publication.kind === 'queue' &&
      route.exchange === '' &&
      !(await session.topology.queueExists(route.routingKey))
    ) {
      throw new DestinationNotFoundError(publication.destination, this.name);
    }
    this.openTransactions.get(publication.transaction!).routes.push(route);
  }

  protected async commitTransaction(transaction: TransactionId): Promise<void> {
    const open = this.openTransactions.take(transaction);
    if (!open) return;
    const session = await this.readySession();
    const state = open.subscription && this.stateOf(open.subscription);
    let tx: TxChannel;
    if (open.acks.length > 0) {
      const channel = state?.channel;
      if (!state || !channel || open.acks.some((ack) => ack.channel !== channel)) {
        throw new BrokerError(
          `amqp transport: transaction ${transaction} was not committed: the connection or channel of subscription ` +
            `${open.subscription?.id} was lost after it began; its messages are redelivered and its sends were dropped`,
        );
      }
      tx = state.tx ??= new TxChannel(channel, this.name);
    } else if (state?.channel) {
      tx = state.tx ??= new TxChannel(state.channel, this.name);
    } else {
      tx = await session.transactionChannel();
    }
    const channel = tx.channel;
    try {
      await tx.commit(() => {
        for (const route of open.routes) {
          channel.publish(route.exchange, route.routingKey, route.content, route.options);
        }
        for (const ack of open.acks) {
          this.stateOf(ack.record).messages.delete(ack.tag);
          writeAck(channel, ack.tag, ack.action);
        }
      });
    } catch (error) {
      if (error instanceof DestinationNotFoundError) throw error;
      throw new ConnectionError(
        `amqp transport: the commit of transaction ${transaction} did not complete (${(error as Error).message}); ` +
          `its outcome is unknown: unacknowledged messages are redelivered`,
        { cause: error },
      );
    }
  }

  protected async abortTransaction(transaction: TransactionId): Promise<void> {
    // Nothing reached the broker: operations are written only at commit.
    this.openTransactions.drop(transaction);
  }
}

/** What an error of amqplib (or of this transport) means for the connection. */
export function classifyAmqpError(error: unknown): ConnectionErrorKind {
  if (error instanceof LoginRefusedError || isLoginFailure(error)) return 'login';
  // A setting the broker cannot satisfy (delayMode "plugin" without the plugin): attempts cannot help.
  if (error instanceof TransportConfigError) return 'fatal';
  if (isExclusiveUse(error)) return 'exclusive';
  if (error instanceof ChannelLostError) return 'channel';
  return 'connection';
}

/** RabbitMQ refuses a consumer while another holds the queue exclusively (403 "in exclusive use"). */
function isExclusiveUse(error: unknown): boolean {
  return (
    (error as { code?: unknown } | undefined)?.code === 403 &&
    /exclusive use/.test(String((error as Error).message))
  );
}
