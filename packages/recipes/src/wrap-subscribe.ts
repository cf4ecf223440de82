/**
 * Subscribing to recipe messages, as python-workflows' `wrap_subscribe` /
 * `wrap_subscribe_broadcast`: each message with the `workflows-recipe` header is unpacked into a
 * {@link RecipeWrapper} and the callback gets `(wrapper, header, payload)`.
 *
 * - A message without the header is rejected (nack, which dead-letters it) with a logged error —
 *   unless `allowNonRecipe: true`, in which case the callback gets `(undefined, header, message)`
 *   with the whole body, as Python passes `None`.
 * - A recipe message whose envelope or recipe is unusable (not parseable, not valid) is rejected
 *   the same way and the reason logged: it is never acked, and never released for redelivery
 *   (it would only fail again).
 * - Rejecting needs a subscription with `acknowledgement: true`. Without it the broker has already
 *   forgotten the message: the problem is logged as an error saying so.
 *
 * - The wrappers do not retry sends (unless `retry` says so): the transport holds this subscription,
 *   which a reconnect by the wrapper would not restore (python-workflows' `is_reconnectable` is false
 *   then too). A lost connection is the transport's to ride out, within `sendTimeout`.
 *
 * Unlike python-workflows on RabbitMQ (whose nack requeues by default), the rejection is the
 * contract's `nack`, which dead-letters at once on every transport.
 */
import { getDefaultLogger } from '@zocalo/workflows';
import type {
  BroadcastSubscribeOptions,
  Logger,
  MessageCallback,
  ReceivedHeaders,
  SubscribeOptions,
  SubscriptionId,
  Transport,
} from '@zocalo/workflows';
import { ownValue } from './json';
import { RECIPE_HEADER, RecipeWrapper } from './recipe-wrapper';
import type { RecipeWrapperOptions } from './recipe-wrapper';
import { NO_RETRY } from './retry';

/** Called with each recipe message: the wrapper, the received headers, and the payload. */
export type RecipeCallback = (
  wrapper: RecipeWrapper,
  header: ReceivedHeaders,
  payload: unknown,
) => void | Promise<void>;

/**
 * Called with each message when plain messages are allowed: the wrapper and payload for a recipe
 * message, `undefined` and the whole body for any other.
 */
export type MixedCallback = (
  wrapper: RecipeWrapper | undefined,
  header: ReceivedHeaders,
  message: unknown,
) => void | Promise<void>;

/** What wrapSubscribe adds to the transport's subscribe options. */
export interface WrapOptions extends Omit<RecipeWrapperOptions, 'environment' | 'outputBudget'> {
  /** Pass messages without the recipe header to the callback (with `undefined` for the wrapper). */
  readonly allowNonRecipe?: boolean;
  /**
   * Turn the raw body (text) into the message yourself; the subscription then has mangling
   * disabled (Python's `mangle_for_receiving`).
   */
  readonly mangleForReceiving?: (body: unknown) => unknown;
}

export type WrapSubscribeOptions = SubscribeOptions & WrapOptions;
export type WrapSubscribeBroadcastOptions = BroadcastSubscribeOptions & WrapOptions;

/** Whether a received header marks a recipe message: any of `true`, `"True"`, `"true"`, `1`. */
export function isRecipeMessage(header: ReceivedHeaders): boolean {
  const value = ownValue(header, RECIPE_HEADER);
  return value === true || value === 'True' || value === 'true' || value === 1;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Python's `_wrap_subscription`: the transport callback that unpacks recipe messages. `callback`
 * gets `undefined` for the wrapper only when `allowNonRecipe` is set (its overloads say so).
 */
function unwrapping(
  transport: Transport,
  destination: string,
  callback: MixedCallback,
  options: WrapOptions,
  acknowledgement: boolean,
): MessageCallback {
  const logger: Logger = options.logger ?? getDefaultLogger();

  const reject = (header: ReceivedHeaders, problem: string, error?: unknown): Promise<void> | void => {
    const context = { err: error, destination, messageId: header['message-id'] };
    if (!acknowledgement) {
      logger.error(
        context,
        `${problem}. The subscription has no acknowledgement, so the message cannot be rejected ` +
          `and is lost; subscribe with acknowledgement: true`,
      );
      return;
    }
    logger.error(context, `${problem}. Rejecting it (nack).`);
    return transport.nack(header).catch((nackError: unknown) => {
      logger.error(
        { err: nackError, destination, messageId: header['message-id'] },
        'could not reject the message',
      );
    });
  };

  return (header, body) => {
    let message: unknown = body;
    if (options.mangleForReceiving) {
      try {
        message = options.mangleForReceiving(body);
      } catch (error) {
        return reject(header, `Unable to read the incoming message (${describe(error)})`, error);
      }
    }
    if (isRecipeMessage(header)) {
      let wrapper: RecipeWrapper;
      try {
        wrapper = RecipeWrapper.fromMessage(message, transport, {
          ...options,
          retry: options.retry ?? NO_RETRY,
        });
      } catch (error) {
        return reject(header, `Unable to process incoming recipe message: ${describe(error)}`, error);
      }
      return callback(wrapper, header, wrapper.payload);
    }
    if (options.allowNonRecipe) return callback(undefined, header, message);
    return reject(
      header,
      'The input to this service is not a wrapped recipe. Unable to process incoming message',
    );
  };
}

function split<T extends WrapOptions>(options: T): [WrapOptions, Omit<T, keyof WrapOptions>] {
  const { allowNonRecipe, mangleForReceiving, logger, retry, validate, ...subscribe } = options;
  const wrap: WrapOptions = { allowNonRecipe, mangleForReceiving, logger, retry, validate };
  const rest = mangleForReceiving ? { ...subscribe, disableMangling: true } : subscribe;
  return [wrap, rest];
}

/**
 * Subscribe to a queue of recipe messages. Returns the subscription id. Use
 * `acknowledgement: true` (and ack each message) so that bad messages can be rejected.
 */
export function wrapSubscribe(
  transport: Transport,
  queue: string,
  callback: RecipeCallback,
  options?: WrapSubscribeOptions & { readonly allowNonRecipe?: false },
): Promise<SubscriptionId>;
export function wrapSubscribe(
  transport: Transport,
  queue: string,
  callback: MixedCallback,
  options: WrapSubscribeOptions & { readonly allowNonRecipe: true },
): Promise<SubscriptionId>;
export function wrapSubscribe(
  transport: Transport,
  queue: string,
  callback: RecipeCallback | MixedCallback,
  options: WrapSubscribeOptions = {},
): Promise<SubscriptionId> {
  const [wrap, subscribe] = split(options);
  const unwrap = unwrapping(
    transport,
    queue,
    callback as MixedCallback,
    wrap,
    subscribe.acknowledgement === true,
  );
  return transport.subscribe(queue, unwrap, subscribe);
}

/** Subscribe to a topic of recipe messages (a step with `topic`). Returns the subscription id. */
export function wrapSubscribeBroadcast(
  transport: Transport,
  topic: string,
  callback: RecipeCallback,
  options?: WrapSubscribeBroadcastOptions & { readonly allowNonRecipe?: false },
): Promise<SubscriptionId>;
export function wrapSubscribeBroadcast(
  transport: Transport,
  topic: string,
  callback: MixedCallback,
  options: WrapSubscribeBroadcastOptions & { readonly allowNonRecipe: true },
): Promise<SubscriptionId>;
export function wrapSubscribeBroadcast(
  transport: Transport,
  topic: string,
  callback: RecipeCallback | MixedCallback,
  options: WrapSubscribeBroadcastOptions = {},
): Promise<SubscriptionId> {
  const [wrap, subscribe] = split(options);
  const unwrap = unwrapping(
    transport,
    topic,
    callback as MixedCallback,
    wrap,
    subscribe.acknowledgement === true,
  );
  return transport.subscribeBroadcast(topic, unwrap, subscribe);
}
