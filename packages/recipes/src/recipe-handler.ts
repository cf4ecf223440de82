/**
 * Recipe messages under the service runtime of @zocalo/workflows: {@link recipeHandler} turns a
 * callback `(wrapper, msg) => ...` into the runtime's `MessageHandler`, as `wrapSubscribe` does for a
 * bare transport.
 *
 * - The wrapper is built from `msg.message` (the envelope) and sends through the message's context:
 *   every `wrapper.send` / `sendTo` / `checkpoint` joins the message's transaction (`msg.transaction`)
 *   and is counted in the service's metrics, so the results go out when the input's ack commits, and
 *   not at all if the handler throws.
 * - The wrapper has the message's output budget (`msg.outputBudget`): a fan-out that would pass the
 *   runtime's `maxOutputsPerMessage` or `maxOutputBytesPerMessage` is refused before any of it is
 *   sent, with an OutputLimitError that dead-letters the message.
 * - A message without the `workflows-recipe` header, or whose envelope or recipe is unusable, is
 *   rejected with `msg.reject(reason)`: dead-lettered, with the reason logged, never acked away and
 *   never released for redelivery (it would only fail again). With `allowNonRecipe: true` a plain
 *   message reaches the callback with `undefined` for the wrapper, as python-workflows passes `None`.
 * - The wrapper does not retry sends (unless `retry` says so): a lost connection is the transport's
 *   to ride out (within `sendTimeout`), and a send that still fails fails the handler, so the runtime
 *   releases the message for another delivery. The transport holds the service's subscriptions,
 *   which a reconnect by the wrapper would not restore (python-workflows' `is_reconnectable` is false
 *   then too), and a transaction ends with the connection.
 */
import type { MessageContext, MessageHandler, Transport } from '@zocalo/workflows';
import { RecipeWrapper } from './recipe-wrapper';
import type { RecipeWrapperOptions } from './recipe-wrapper';
import { NO_RETRY } from './retry';
import { isRecipeMessage } from './wrap-subscribe';

/** Called with each recipe message: its wrapper (payload in `wrapper.payload`) and the message context. */
export type RecipeMessageHandler = (wrapper: RecipeWrapper, msg: MessageContext) => void | Promise<void>;

/** Called with each message when plain messages are allowed: `undefined` for a plain message. */
export type MixedMessageHandler = (
  wrapper: RecipeWrapper | undefined,
  msg: MessageContext,
) => void | Promise<void>;

/** Options of {@link recipeHandler}. */
export interface RecipeHandlerOptions extends Omit<RecipeWrapperOptions, 'environment' | 'outputBudget'> {
  /** Pass messages without the recipe header to the callback, with `undefined` for the wrapper. */
  readonly allowNonRecipe?: boolean;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The message's transport as a recipe wrapper should use it: `send` and `broadcast` go through
 * `msg.send` / `msg.broadcast`, so they join the message's transaction and are counted; everything
 * else is the transport itself.
 */
export function messageTransport(msg: MessageContext): Transport {
  const transport = msg.transport;
  return new Proxy(transport, {
    get(target, property) {
      if (property === 'send') return msg.send;
      if (property === 'broadcast') return msg.broadcast;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A service-runtime message handler for recipe messages:
 *
 * ```ts
 * await ctx.subscribe('double', recipeHandler(async (rw) => {
 *   await rw.send({ value: (rw.payload as { value: number }).value * 2 });
 * }));
 * ```
 */
export function recipeHandler(
  handler: RecipeMessageHandler,
  options?: RecipeHandlerOptions & { readonly allowNonRecipe?: false },
): MessageHandler;
export function recipeHandler(
  handler: MixedMessageHandler,
  options: RecipeHandlerOptions & { readonly allowNonRecipe: true },
): MessageHandler;
export function recipeHandler(
  handler: RecipeMessageHandler | MixedMessageHandler,
  options: RecipeHandlerOptions = {},
): MessageHandler {
  const { allowNonRecipe = false, ...wrapperOptions } = options;
  return async (msg) => {
    if (!isRecipeMessage(msg.header)) {
      if (allowNonRecipe) return (handler as MixedMessageHandler)(undefined, msg);
      return msg.reject(
        'The input to this service is not a wrapped recipe. Unable to process incoming message',
      );
    }
    let wrapper: RecipeWrapper;
    try {
      wrapper = RecipeWrapper.fromMessage(msg.message, messageTransport(msg), {
        ...wrapperOptions,
        logger: wrapperOptions.logger ?? msg.logger,
        retry: wrapperOptions.retry ?? NO_RETRY,
        outputBudget: msg.outputBudget,
      });
    } catch (error) {
      return msg.reject(`Unable to process incoming recipe message: ${describe(error)}`);
    }
    return handler(wrapper, msg);
  };
}
