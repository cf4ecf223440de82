/**
 * What a service sees of the runtime: the {@link ServiceContext} handed to `initializing()` and
 * `inShutdown()`, and the {@link MessageContext} handed to a message handler for each message.
 */
import type { Logger } from '../logger';
import type { OutputBudget } from './output-budget';
import type {
  BroadcastOptions,
  BroadcastSubscribeOptions,
  MessageBody,
  ReceivedHeaders,
  SendOptions,
  SubscribeOptions,
  SubscriptionId,
  TransactionId,
  Transport,
} from '../transport';

/**
 * One message in hand. With a transactional transport the handler runs inside a transaction:
 * {@link send}, {@link broadcast}, {@link ack} and {@link reject} all join it, and the runtime commits
 * it when the handler returns (acking the message first unless the handler settled it). If the
 * handler throws, the transaction is aborted — none of its sends happen — and the message is released
 * for redelivery; for an error no retry can cure ({@link isPermanentError}: an InvalidArgumentError
 * such as an output that cannot be serialised, a RangeError, a PermanentError) it is rejected instead.
 */
export interface MessageContext<T = MessageBody> {
  readonly header: ReceivedHeaders;
  readonly message: T;
  /** The transaction this message is handled in; undefined when the transport has none. */
  readonly transaction: TransactionId | undefined;
  /** `environment.ID` when the message is a recipe envelope. */
  readonly recipeId: string | undefined;
  /** The queue or topic the message came from (as subscribed). */
  readonly destination: string;
  /** The service's logger with `recipe_ID` bound when the message has one. */
  readonly logger: Logger;
  /**
   * The transport, for anything beyond this context (e.g. recipe wrappers). Its sends do not join the
   * transaction unless given `transaction`, but they count against {@link outputBudget}.
   */
  readonly transport: Transport;
  /**
   * What the handling of this message may still send (the runtime's `maxOutputsPerMessage` and
   * `maxOutputBytesPerMessage`) and has sent. Every send above counts; one that would pass a limit is
   * refused with an OutputLimitError and the message is dead-lettered, even if the handler catches it.
   */
  readonly outputBudget: OutputBudget;
  /** Send to a queue as part of this message's transaction (counted in {@link outputBudget}). */
  send(queue: string, message: unknown, options?: SendOptions): Promise<void>;
  /** Broadcast to a topic as part of this message's transaction. */
  broadcast(topic: string, message: unknown, options?: BroadcastOptions): Promise<void>;
  /** Acknowledge now (in the transaction). Optional: the runtime acks when the handler returns. */
  ack(): Promise<void>;
  /**
   * Reject a message the service judges bad (malformed, not a recipe): it is dead-lettered
   * (`DLQ.<queue>`) when the transaction commits, not redelivered, and `reason` is logged.
   */
  reject(reason: string): Promise<void>;
}

/**
 * Handles one message. Return (or resolve) when done; throw to have the message redelivered, or throw
 * a {@link PermanentError} to have it dead-lettered at once.
 */
export type MessageHandler<T = MessageBody> = (context: MessageContext<T>) => void | Promise<void>;

/** What the runtime adds to the transport's subscription options. */
export interface HandlerOptions {
  /**
   * Handle each message inside a transaction when the transport supports them. Default `true`.
   * Set `false` for a handler that sends nothing, to save the broker round trips.
   */
  readonly transaction?: boolean;
}

/** Options of {@link ServiceContext.subscribe}: `acknowledgement` defaults to `true` here. */
export type ServiceSubscribeOptions = SubscribeOptions & HandlerOptions;

/** Options of {@link ServiceContext.subscribeBroadcast}: `acknowledgement` defaults to `false`. */
export type ServiceBroadcastSubscribeOptions = BroadcastSubscribeOptions & HandlerOptions;

/** Runs in state TIMER, never while a message is in hand (unless the service allows concurrency). */
export type TimerCallback = (context: ServiceContext) => void | Promise<void>;

/** The runtime as a service sees it in `initializing()`, timers and `inShutdown()`. */
export interface ServiceContext {
  readonly transport: Transport;
  /** The service's logger (`service` and `host` bound). */
  readonly logger: Logger;
  /** This process's unique host id, as in status broadcasts. */
  readonly hostId: string;
  readonly serviceName: string;
  /**
   * Consume from a queue. Messages of all the service's subscriptions are handled one at a time
   * (or up to the runtime's `concurrency`), each in its own transaction. Resolves with the
   * subscription id; with 0 when the service was stopped while the subscription was being made.
   */
  subscribe<T = MessageBody>(
    queue: string,
    handler: MessageHandler<T>,
    options?: ServiceSubscribeOptions,
  ): Promise<SubscriptionId>;
  /** Receive broadcasts on a topic, handled like queue messages. */
  subscribeBroadcast<T = MessageBody>(
    topic: string,
    handler: MessageHandler<T>,
    options?: ServiceBroadcastSubscribeOptions,
  ): Promise<SubscriptionId>;
  /**
   * Call `callback` every `seconds`, between messages, in state TIMER. A callback that throws is
   * logged and the timer goes on. Returns a function that cancels the timer.
   */
  timer(seconds: number, callback: TimerCallback): () => void;
  /** Send outside any message (from a timer, `initializing()` or `inShutdown()`). */
  send(queue: string, message: unknown, options?: SendOptions): Promise<void>;
  broadcast(topic: string, message: unknown, options?: BroadcastOptions): Promise<void>;
  /** Ask the runtime to shut the service down gracefully (as a shutdown command would). */
  shutdown(reason?: string): void;
}
