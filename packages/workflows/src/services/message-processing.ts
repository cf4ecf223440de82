/**
 * One message, handled transactionally (services.md): the handler runs inside a transaction when the
 * transport has them; on return the message is acked (unless the handler settled it) and the
 * transaction committed, so the input's ack and the outputs' sends take effect together. If the
 * handler throws, the transaction is aborted (no output is sent), the error is logged with the
 * recipe ID, and the message is released for redelivery — unless the error is permanent
 * ({@link isPermanentError}: invalid argument, serialisation, range): no retry can cure those, so the
 * message is rejected at once, as if the handler had called `reject()` with the error. A message the
 * handler rejects is dead-lettered.
 *
 * python-workflows has no such distinction: any exception in a callback ends the service (ERROR), and
 * the unacknowledged message goes back to the broker with the connection, to kill the next instance
 * too until the broker's poison protection takes it. Here a transient error releases the message (with
 * a back-off) and the service goes on; a permanent one dead-letters it on the first delivery.
 *
 * Every send the handling of one message makes — `msg.send`, `msg.broadcast`, and the sends of
 * `msg.transport` (which recipe wrappers may be given) — passes one counter, {@link OutputBudget}:
 * the send that would pass `maxOutputsPerMessage` or `maxOutputBytesPerMessage` is refused before it
 * is sent, with an OutputLimitError, and the message fails with it (permanent: dead-lettered) even if
 * the handler catches it, so that a transaction never commits a fan-out cut short.
 */
import { performance } from 'node:perf_hooks';
import { isPermanentError } from '../errors';
import type { Logger } from '../logger';
import type {
  BroadcastOptions,
  MessageBody,
  ReceivedHeaders,
  SendOptions,
  TransactionId,
  Transport,
} from '../transport';
import { recipeIdOf } from './recipe-id';
import { MessageOutputBudget } from './output-budget';
import type { MessageContext, MessageHandler } from './service-context';
import type { ServiceMetrics } from './service-metrics';

/** A subscription as the runtime keeps it. */
export interface HandlerSubscription {
  readonly destination: string;
  readonly handler: MessageHandler;
  readonly acknowledgement: boolean;
  readonly transaction: boolean;
  /**
   * Release the subscription's unacknowledged messages for redelivery by ending it and subscribing
   * again: for transports without `nackRequeue` (STOMP releases this way).
   */
  reopen(): Promise<void>;
}

/**
 * Holds a failed message back before it is released, so that a message that keeps failing (a
 * missing next queue, a broken dependency) is not redelivered in a tight loop.
 */
export interface RedeliveryBackoff {
  /** Seconds to hold this failure's message back (0: release at once). Counts the failure. */
  next(): number;
  /** Wait that long; resolves early when the service stops, so shutdown is never held up. */
  wait(seconds: number): Promise<void>;
}

export interface ProcessingEnvironment {
  readonly transport: Transport;
  readonly logger: Logger;
  /** Counted into when the runtime keeps metrics. */
  readonly metrics?: ServiceMetrics;
  readonly backoff?: RedeliveryBackoff;
  /** {@link ServiceRuntimeOptions.maxOutputsPerMessage}. */
  readonly maxOutputs: number;
  /** {@link ServiceRuntimeOptions.maxOutputBytesPerMessage}. */
  readonly maxOutputBytes: number;
}

/** How a message ended: committed (acked or not), dead-lettered by the handler, or failed. */
export type ProcessingOutcome = 'done' | 'rejected' | 'failed';

/** Handle one message. Never throws: every failure is logged and settled here. */
export async function processMessage(
  env: ProcessingEnvironment,
  subscription: HandlerSubscription,
  header: ReceivedHeaders,
  message: MessageBody,
): Promise<ProcessingOutcome> {
  const { transport, metrics } = env;
  const started = performance.now();
  const recipeId = recipeIdOf(message);
  const logger = recipeId === undefined ? env.logger : env.logger.child({ recipe_ID: recipeId });
  const acknowledgement = subscription.acknowledgement;
  let transaction: TransactionId | undefined;
  let settled: 'ack' | 'reject' | undefined;
  let rejection: Rejection | undefined;
  let pendingOutputs = 0;
  const budget = new MessageOutputBudget(env.maxOutputs, env.maxOutputBytes);
  metrics?.received();

  // The one way out for the message's sends: counted (and refused past a limit) before they are sent.
  const output = async (body: unknown, publish: () => Promise<void>): Promise<void> => {
    budget.spend(body, false);
    await publish();
    if (transaction === undefined) metrics?.sent();
    else pendingOutputs++;
  };
  const budgeted = countedTransport(transport, budget);

  // The one way a message is rejected: by the handler (`failure` undefined), or by the runtime for a
  // permanent failure. In a transaction the nack joins it (STOMP sends it after the COMMIT).
  const reject = async (reason: string, failure?: unknown): Promise<void> => {
    if (settled !== undefined) return;
    settled = 'reject';
    if (!acknowledgement) {
      logger.warn(
        { destination: subscription.destination, messageId: header['message-id'], reason },
        `message rejected (no acknowledgement on this subscription, so it is dropped): ${reason}`,
      );
      return;
    }
    rejection = { reason, failure };
    await transport.nack(header, { transaction });
    // Logged once it has happened: now, or after the commit that carries the nack.
    if (transaction === undefined) logRejected(logger, transport, subscription, header, rejection);
  };

  try {
    if (subscription.transaction && transport.capabilities.transactions) {
      transaction = await transport.transactionBegin({ subscription: header.subscription });
    }
    const inTransaction = <O extends SendOptions | BroadcastOptions>(options: O | undefined): O =>
      ({ ...options, transaction: options?.transaction ?? transaction }) as O;
    const context: MessageContext = {
      header,
      message,
      transaction,
      recipeId,
      destination: subscription.destination,
      logger,
      transport: budgeted,
      outputBudget: budget,
      send: (queue, body, options) => output(body, () => transport.send(queue, body, inTransaction(options))),
      broadcast: (topic, body, options) =>
        output(body, () => transport.broadcast(topic, body, inTransaction(options))),
      ack: async () => {
        if (settled !== undefined || !acknowledgement) return;
        settled = 'ack';
        await transport.ack(header, { transaction });
      },
      reject: (reason) => reject(String(reason)),
    };
    await subscription.handler(context);
    // A handler that caught the refusal still fails: its outputs must not go out cut short.
    if (budget.refusal !== undefined) throw budget.refusal;
    if (settled === undefined && acknowledgement) {
      settled = 'ack';
      await transport.ack(header, { transaction });
    }
    if (transaction !== undefined) {
      const committing = transaction;
      transaction = undefined;
      await transport.transactionCommit(committing);
      metrics?.sent(pendingOutputs);
      if (settled === 'reject' && rejection !== undefined) {
        logRejected(logger, transport, subscription, header, rejection);
      }
    }
    if (settled === 'reject') {
      metrics?.failed('rejected');
      return 'rejected';
    }
    return 'done';
  } catch (error) {
    const aborted = transaction !== undefined;
    if (aborted) {
      const aborting = transaction!;
      transaction = undefined;
      // The abort undoes the handler's ack or reject too: the message is in hand again.
      settled = undefined;
      await transport
        .transactionAbort(aborting)
        .catch((abortError: unknown) =>
          logger.warn({ err: abortError }, 'could not abort the transaction of a failed message'),
        );
    }
    // Without a transaction an ack or nack made by the handler has already taken effect.
    const release = acknowledgement && settled === undefined;
    if (release && isPermanentError(error)) {
      // Its outputs went with the aborted transaction (without one they are out already); the
      // message goes to the dead-letter queue, once, as a reject() outside a transaction would.
      try {
        await reject(failureReason(error), error);
        metrics?.failed('rejected');
        return 'rejected';
      } catch (nackError) {
        logger.error(
          { err: nackError, failure: error, messageId: header['message-id'] },
          'message handler failed with a permanent error, and the message could not be rejected; ' +
            'the broker redelivers it when the connection closes',
        );
        metrics?.failed('error');
        return 'failed';
      }
    }
    metrics?.failed('error');
    const delay = release ? (env.backoff?.next() ?? 0) : 0;
    logger.error(
      {
        err: error,
        destination: subscription.destination,
        messageId: header['message-id'],
        ...(release ? { redeliveryDelay: delay } : {}),
      },
      release
        ? 'message handler failed; transaction aborted, message released for redelivery'
        : 'message handler failed',
    );
    if (release) {
      // Still in hand while it waits: the subscription gets no other message meanwhile.
      if (delay > 0) await env.backoff?.wait(delay);
      await releaseForRedelivery(env, subscription, header, logger);
    }
    return 'failed';
  } finally {
    metrics?.processed((performance.now() - started) / 1000);
  }
}

/**
 * The transport as the handler sees it (`msg.transport`): its sends count against the message's
 * budget (they do not join the transaction unless given it); everything else is the transport itself.
 */
function countedTransport(transport: Transport, budget: MessageOutputBudget): Transport {
  const counted = {
    send: async (queue: string, body: unknown, options?: SendOptions) => {
      budget.spend(body, false);
      return transport.send(queue, body, options);
    },
    broadcast: async (topic: string, body: unknown, options?: BroadcastOptions) => {
      budget.spend(body, false);
      return transport.broadcast(topic, body, options);
    },
    rawSend: async (queue: string, body: string | Buffer, options?: SendOptions) => {
      budget.spend(body, true);
      return transport.rawSend(queue, body, options);
    },
    rawBroadcast: async (topic: string, body: string | Buffer, options?: BroadcastOptions) => {
      budget.spend(body, true);
      return transport.rawBroadcast(topic, body, options);
    },
  };
  return new Proxy(transport, {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(counted, property)) {
        return counted[property as keyof typeof counted];
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Why a message was rejected; `failure` is the handler's permanent error, when it was that. */
interface Rejection {
  readonly reason: string;
  readonly failure?: unknown;
}

/** A permanent error as a reject reason: its class and its message. */
function failureReason(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : 'no message'}`;
}

function logRejected(
  logger: Logger,
  transport: Transport,
  subscription: HandlerSubscription,
  header: ReceivedHeaders,
  { reason, failure }: Rejection,
): void {
  const fields = { destination: subscription.destination, messageId: header['message-id'], reason };
  // Say what the broker does with it: "dead-lettered" of a message ActiveMQ drops would be a lie.
  const caveat = transport.rejectCaveat?.(header);
  const outcome = caveat === undefined ? 'message rejected and dead-lettered' : `message rejected; ${caveat}`;
  if (failure === undefined) {
    logger.warn(fields, `${outcome}: ${reason}`);
    return;
  }
  logger.error(
    { ...fields, err: failure },
    `message handler failed with an error no retry can cure; ${outcome}: ${reason}`,
  );
}

async function releaseForRedelivery(
  env: ProcessingEnvironment,
  subscription: HandlerSubscription,
  header: ReceivedHeaders,
  logger: Logger,
): Promise<void> {
  try {
    if (env.transport.capabilities.nackRequeue) await env.transport.nack(header, { requeue: true });
    else await subscription.reopen();
  } catch (error) {
    logger.error(
      { err: error, messageId: header['message-id'] },
      'could not release the message; the broker redelivers it when the connection closes',
    );
  }
}
