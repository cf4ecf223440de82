/**
 * One connected session: the publishing and the consuming connection, the confirm channel for sends,
 * the topology helper, and what was learnt about the broker. A session that loses either connection is
 * over; the transport opens a new one (reconnect.ts).
 */
import type { Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '@zocalo/workflows';
import { TransportConfigError, watchLiveness, within } from '@zocalo/workflows';
import { openConnection } from './amqp-connection';
import type { ResolvedAmqpOptions } from './amqp-settings';
import type { LostPublishHandler } from './confirm-publisher';
import { ConfirmPublisher } from './confirm-publisher';
import { DELAYED_EXCHANGE } from './delayed-delivery';
import { Topology } from './topology';
import { TxChannel } from './tx-channel';

export interface Session {
  readonly publishModel: ChannelModel;
  readonly consumeModel: ChannelModel;
  readonly topology: Topology;
  /** Index in the address list of the broker this session reached (reconnects start there). */
  readonly addressIndex: number;
  /** Use the plugin's `delayed` exchange for delayed queue sends. */
  delayedExchange: boolean;
  /** Type of delay holding queues: quorum needs RabbitMQ 3.10 (message TTL, at-least-once dead-lettering). */
  readonly holdingQueueType: 'quorum' | 'classic';
  /** The confirm channel for sends; replaced when the broker closes it (e.g. a missing exchange). */
  publisher: ConfirmPublisher | undefined;
  replacingPublisher: Promise<ConfirmPublisher> | undefined;
  /** A channel in transaction mode for transactions that settle no messages. */
  transactionChannel(): Promise<TxChannel>;
  lost: boolean;
  /** Called once, when either connection closes without `closeSession`. */
  onLost: (error: Error | undefined) => void;
  /** Publishes again a send (its token) whose channel closed before the confirm. */
  onPublishLost: LostPublishHandler;
  readonly transportName: string;
  readonly logger: Logger;
  readonly sendTimeoutMs: number;
}

async function newPublisher(session: Session): Promise<ConfirmPublisher> {
  const channel = await session.publishModel.createConfirmChannel();
  return new ConfirmPublisher(
    channel,
    session.transportName,
    session.logger,
    (token, error) => session.onPublishLost(token, error),
    session.sendTimeoutMs,
  );
}

/** The session's confirm channel, opening a new one if the broker closed the last. */
export function publisherOf(session: Session): Promise<ConfirmPublisher> {
  if (session.publisher && !session.publisher.closed) return Promise.resolve(session.publisher);
  session.replacingPublisher ??= newPublisher(session).then(
    (publisher) => {
      session.publisher = publisher;
      session.replacingPublisher = undefined;
      return publisher;
    },
    (error: unknown) => {
      session.replacingPublisher = undefined;
      throw error;
    },
  );
  return session.replacingPublisher;
}

export async function openSession(
  options: ResolvedAmqpOptions,
  transportName: string,
  logger: Logger,
  start: number,
): Promise<Session> {
  const publishing = await openConnection(options, 'publish', start);
  const addressIndex = options.addresses.indexOf(publishing.address);
  let consuming;
  try {
    consuming = await openConnection(options, 'consume', addressIndex);
  } catch (error) {
    await publishing.model.close().catch(() => undefined);
    throw error;
  }
  const version = brokerVersion(publishing.model);
  const quorum = options.queueType === 'quorum';
  const topology = new Topology(
    publishing.model,
    quorum && atLeast(version, 3, 8) ? 'quorum' : 'classic',
    options.deliveryLimit,
  );
  let txChannel: Promise<TxChannel> | undefined;
  const session: Session = {
    publishModel: publishing.model,
    consumeModel: consuming.model,
    topology,
    addressIndex,
    delayedExchange: false,
    holdingQueueType: quorum && atLeast(version, 3, 10) ? 'quorum' : 'classic',
    publisher: undefined,
    replacingPublisher: undefined,
    transactionChannel() {
      txChannel ??= publishing.model.createChannel().then((channel) => {
        channel.on('error', () => undefined);
        channel.on('close', () => (txChannel = undefined));
        return new TxChannel(channel, transportName);
      });
      return txChannel;
    },
    lost: false,
    onLost: () => undefined,
    onPublishLost: (_token, error) => Promise.reject(error),
    transportName,
    logger,
    sendTimeoutMs: options.sendTimeoutMs,
  };
  const errors = new Map<ChannelModel, Error>();
  for (const [model, role] of [
    [publishing.model, 'publish'],
    [consuming.model, 'consume'],
  ] as const) {
    // amqplib notices a silent link only after two to three heart-beat intervals, checked in coarse
    // steps; RabbitMQ sends a heart-beat every half interval, so two intervals of silence is death.
    const connection = model.connection as unknown as { heartbeat?: number; stream?: Socket };
    if (connection.stream && connection.heartbeat) {
      watchLiveness(connection.stream, {
        silenceMs: 2000 * connection.heartbeat,
        describe: `amqp transport: the ${role} connection to ${publishing.address.host}:${publishing.address.port}`,
        onSilent: (error) => errors.set(model, error),
      });
    }
    model.on('error', (error: Error) => errors.set(model, error));
    model.on('close', (error?: Error) => {
      if (session.lost) return;
      session.lost = true;
      session.onLost(error ?? errors.get(model));
    });
    model.on('blocked', (reason: string) =>
      logger.warn({ reason }, 'amqp transport: RabbitMQ blocked the connection (resource alarm)'),
    );
    model.on('unblocked', () => logger.info({}, 'amqp transport: RabbitMQ unblocked the connection'));
  }
  try {
    await publisherOf(session);
    if (options.delayMode !== 'queues') {
      const plugin = await topology.exchangeExists(DELAYED_EXCHANGE);
      if (!plugin && options.delayMode === 'plugin') {
        throw new TransportConfigError(
          `amqp transport: delayMode "plugin" needs the exchange "${DELAYED_EXCHANGE}" of the delayed-message plugin, ` +
            `and the broker has none; use delayMode "auto" or "queues"`,
        );
      }
      session.delayedExchange = plugin;
    }
  } catch (error) {
    session.lost = true;
    await closeSession(session);
    throw error;
  }
  return session;
}

/** The broker's version as [major, minor], from the connection's server properties ([0, 0] if unknown). */
export function brokerVersion(model: ChannelModel): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(String(model.connection.serverProperties.version ?? ''));
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

function atLeast(version: [number, number], major: number, minor: number): boolean {
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

/** A broker that has not answered connection.close by then is not waited for any longer. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * Close one connection, within {@link CLOSE_TIMEOUT_MS}: amqplib waits for the broker's close-ok
 * for ever, and a silent link (or one dropping while it closes) never sends it.
 */
async function closeModel(model: ChannelModel): Promise<void> {
  const stream = (model.connection as unknown as { stream?: Socket }).stream;
  if (!stream || stream.destroyed || stream.readableEnded || stream.writableEnded) {
    // Lost already: nothing to say to the broker; amqplib's close would only wait or fail.
    await model.close().catch(() => undefined);
    return;
  }
  let onClose: (() => void) | undefined;
  const closed = await within(
    Promise.race([
      model.close().then(
        () => true,
        () => true,
      ),
      // A link that drops while closing ends amqplib's close-ok wait never: the socket's end does.
      new Promise<boolean>((resolve) => stream.once('close', (onClose = () => resolve(true)))),
    ]),
    CLOSE_TIMEOUT_MS,
  );
  if (onClose) stream.off('close', onClose);
  if (!closed) stream.destroy();
}

/** Close both connections (unacknowledged messages go back to their queues). */
export async function closeSession(session: Session): Promise<void> {
  session.lost = true;
  await Promise.all([closeModel(session.consumeModel), closeModel(session.publishModel)]);
}
