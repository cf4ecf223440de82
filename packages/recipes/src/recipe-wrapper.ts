/**
 * RecipeWrapper: a recipe plus the place a message has reached in it, and the sends that move
 * results along (recipes.md, "Routing with a recipe wrapper"). A port of python-workflows'
 * `workflows.recipe.wrapper.RecipeWrapper`, written against the Transport contract only.
 */
import { randomUUID } from 'node:crypto';
import { UnsupportedCapabilityError, encodeBody, getDefaultLogger } from '@zocalo/workflows';
import type {
  Logger,
  MessageHeaders,
  OutputBudget,
  SendOptions,
  TransactionId,
  Transport,
} from '@zocalo/workflows';
import { RecipeMessageError, RecipeWrapperError } from './errors';
import { hasOwn, isPlainObject, jsonType, ownValue } from './json';
import { pyInt } from './python-repr';
import { Recipe } from './recipe';
import type { RecipeInput } from './recipe';
import { DEFAULT_RETRY_SCHEDULE, withReconnect } from './retry';
import type { RetrySchedule } from './retry';
import type { RecipeDocument, RecipeEnvelope, RecipeStep, StepNumber } from './types';
import type { ValidateOptions } from './validate';

/** The header that marks a message as travelling along a recipe; sent as `true`. */
export const RECIPE_HEADER = 'workflows-recipe';

/** Options for a send through the wrapper, passed on to `transport.send` / `transport.broadcast`. */
export interface RecipeSendOptions {
  /** Extra application headers; `workflows-recipe: true` is always added. */
  readonly headers?: MessageHeaders;
  /** Seconds; overrides the destination step's `transport-delay`. */
  readonly delay?: number;
  /** Seconds. */
  readonly expiration?: number;
  /** Send inside this transaction (e.g. the one that acks the message being processed). */
  readonly transaction?: TransactionId;
  /** Queue sends only; default true. */
  readonly persistent?: boolean;
}

/** Options shared by both ways of making a wrapper. */
export interface RecipeWrapperOptions {
  /** Default: the process-wide logger of @zocalo/workflows. */
  readonly logger?: Logger;
  /**
   * When to retry a send the transport refused for want of a connection (a DisconnectedError: it did
   * not try). Default {@link DEFAULT_RETRY_SCHEDULE}; `wrapSubscribe` and
   * `recipeHandler` default to {@link NO_RETRY}. A ConnectionError is never retried here: the
   * transport has already retried for `sendTimeout`.
   */
  readonly retry?: RetrySchedule;
  /**
   * Validate the recipe: `full` (default), `python` (python-workflows' rules only) or `false`.
   * python-workflows itself does not validate here.
   */
  readonly validate?: NonNullable<ValidateOptions['level']> | false;
  /** Use this environment instead of the message's (or, for a new recipe, as the environment). */
  readonly environment?: Readonly<Record<string, unknown>>;
  /**
   * The output budget of the message being handled (`msg.outputBudget`; {@link recipeHandler} passes
   * it): a fan-out or a start that would pass it is refused before any of its messages is sent.
   */
  readonly outputBudget?: OutputBudget;
}

interface WrapperState {
  readonly recipe: Recipe;
  readonly pointer: StepNumber | undefined;
  readonly path: readonly StepNumber[];
  readonly environment: Readonly<Record<string, unknown>>;
  readonly payload: unknown;
  readonly transport: Transport | undefined;
  readonly options: RecipeWrapperOptions | undefined;
}

function messageError(problem: string): RecipeMessageError {
  return new RecipeMessageError(`Invalid recipe message: ${problem}`);
}

/** Python's `int(message["recipe-pointer"])`: a whole number, or text holding one. */
function stepNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return typeof value === 'string' ? pyInt(value) : undefined;
}

function validated(recipe: Recipe, options: RecipeWrapperOptions | undefined): Recipe {
  const level = options?.validate ?? 'full';
  if (level !== false) recipe.validate({ level });
  return recipe;
}

export class RecipeWrapper {
  /** The whole recipe. */
  readonly recipe: Recipe;
  /** The step this message was addressed to; undefined for a recipe not yet started. */
  readonly recipePointer: StepNumber | undefined;
  /** The current step; undefined for a recipe not yet started. */
  readonly recipeStep: RecipeStep | undefined;
  /** Steps already passed, oldest first. */
  readonly recipePath: readonly StepNumber[];
  /** Carried unchanged along the whole recipe; `ID` is the recipe id. */
  readonly environment: Readonly<Record<string, unknown>>;
  /** The payload of the received message (null for a recipe not yet started). */
  readonly payload: unknown;
  readonly transport: Transport | undefined;

  #defaultChannel: string | undefined;
  #document: RecipeDocument | undefined;
  #log: Logger | undefined;
  readonly #logger: Logger;
  readonly #retry: RetrySchedule;
  readonly #budget: OutputBudget | undefined;

  private constructor(state: WrapperState) {
    this.recipe = state.recipe;
    this.recipePointer = state.pointer;
    this.recipeStep = state.pointer === undefined ? undefined : state.recipe.step(state.pointer);
    this.recipePath = state.path;
    this.environment = state.environment;
    this.payload = state.payload;
    this.transport = state.transport;
    this.#logger = state.options?.logger ?? getDefaultLogger();
    this.#retry = state.options?.retry ?? DEFAULT_RETRY_SCHEDULE;
    this.#budget = state.options?.outputBudget;
  }

  /**
   * Wrap a received recipe message (the body: `recipe`, `recipe-pointer`, `recipe-path`,
   * `environment`, `payload`). Throws {@link RecipeMessageError} for a body that is not such an
   * envelope, and {@link RecipeValidationError} for a recipe that does not validate.
   */
  static fromMessage(message: unknown, transport?: Transport, options?: RecipeWrapperOptions): RecipeWrapper {
    if (!isPlainObject(message)) {
      throw messageError(
        `the body must be a JSON object with the keys "recipe", "recipe-pointer", "recipe-path", ` +
          `"environment" and "payload", got ${jsonType(message)}`,
      );
    }
    if (!hasOwn(message, 'recipe')) throw messageError('the body has no "recipe"');
    const recipe = validated(new Recipe(message.recipe as RecipeInput), options);
    const pointer = stepNumber(ownValue(message, 'recipe-pointer'));
    if (pointer === undefined) {
      throw messageError(
        `"recipe-pointer" must be a step number, got ${JSON.stringify(ownValue(message, 'recipe-pointer')) ?? 'nothing'}`,
      );
    }
    if (recipe.step(pointer) === undefined) {
      throw messageError(`"recipe-pointer" is ${pointer}, but the recipe has no step ${pointer}`);
    }
    const path = hasOwn(message, 'recipe-path') ? message['recipe-path'] : [];
    if (!Array.isArray(path) || !path.every((step) => Number.isInteger(step))) {
      throw messageError(`"recipe-path" must be a list of step numbers, got ${JSON.stringify(path)}`);
    }
    const environment = options?.environment ?? ownValue(message, 'environment') ?? {};
    if (!isPlainObject(environment)) {
      throw messageError(`"environment" must be an object, got ${jsonType(environment)}`);
    }
    const payload = hasOwn(message, 'payload') ? message.payload : null;
    return new RecipeWrapper({
      recipe,
      pointer,
      path: path as StepNumber[],
      environment,
      payload,
      transport,
      options,
    });
  }

  /**
   * Wrap a recipe that is to be started. The environment gets an `ID` (a new UUID) unless it has
   * one: it tags every hop's logs. Validates the recipe unless `validate: false`.
   */
  static fromRecipe(
    recipe: RecipeInput,
    transport?: Transport,
    options?: RecipeWrapperOptions,
  ): RecipeWrapper {
    const loaded = validated(recipe instanceof Recipe ? recipe : new Recipe(recipe), options);
    const environment = { ...options?.environment };
    if (!hasOwn(environment, 'ID')) environment.ID = randomUUID();
    return new RecipeWrapper({
      recipe: loaded,
      pointer: undefined,
      path: [],
      environment,
      payload: null,
      transport,
      options,
    });
  }

  /** The recipe id (`environment.ID`), if there is one. */
  get recipeId(): string | undefined {
    const id = ownValue(this.environment, 'ID');
    return id === undefined || id === null ? undefined : String(id);
  }

  /** A logger whose records carry the recipe id (`recipe_ID`, as Python's) and the current step. */
  get log(): Logger {
    this.#log ??= this.#logger.child({ recipe_ID: this.recipeId, recipe_step: this.recipePointer });
    return this.#log;
  }

  /** The named output that `send` uses when the step has named outputs. */
  get defaultChannel(): string | undefined {
    return this.#defaultChannel;
  }

  /** Make `send(payload)` and `sendTo(channel, payload)` the same. */
  setDefaultChannel(channel: string | undefined): void {
    this.#defaultChannel = channel;
  }

  /**
   * Send to every step of the current step's unnamed `output`. If the outputs are named, send to
   * the default channel if one is set, otherwise nowhere. Nothing happens if the step has no output.
   */
  async send(payload: unknown, options: RecipeSendOptions = {}): Promise<void> {
    this.#requireTransport();
    const step = this.#requireStep();
    if (!hasOwn(step, 'output')) return;
    if (isPlainObject(step.output)) {
      if (this.#defaultChannel) await this.sendTo(this.#defaultChannel, payload, options);
      return;
    }
    await this.#sendToSteps(step.output, payload, options);
  }

  /** Send to the steps of the named output `channel`; nothing if the step has no such output. */
  async sendTo(channel: string, payload: unknown, options: RecipeSendOptions = {}): Promise<void> {
    this.#requireTransport();
    const step = this.#requireStep();
    if (!hasOwn(step, 'output')) return;
    const output = step.output;
    if (!isPlainObject(output)) {
      if (this.#defaultChannel === channel) await this.send(payload, options);
      return;
    }
    if (!hasOwn(output, channel)) return;
    await this.#sendToSteps(output[channel], payload, options);
  }

  /** Start the recipe: send each start payload to its step. Only for a recipe not yet started. */
  async start(options: RecipeSendOptions = {}): Promise<void> {
    this.#requireTransport();
    if (this.recipeStep !== undefined) throw new RecipeWrapperError('This recipe has already been started.');
    this.#checkStart();
    for (const [step, payload] of this.recipe.start) await this.#sendToStep(step, payload, options, true);
  }

  /**
   * Send `payload` to the current step again, without extending `recipe-path` (for long work that
   * keeps state between messages). `delay` defaults to 0, so the step's `transport-delay` is not used.
   */
  async checkpoint(payload: unknown, options: RecipeSendOptions = {}): Promise<void> {
    this.#requireTransport();
    this.#requireStep();
    await this.#sendToStep(this.recipePointer!, payload, { ...options, delay: options.delay ?? 0 }, false);
  }

  /** The body a send to `destination` carries (the sender's step appended to the path unless a checkpoint). */
  envelope(destination: StepNumber, payload: unknown, addPathStep = true): RecipeEnvelope {
    this.#document ??= this.recipe.toJSON();
    const path =
      addPathStep && this.recipePointer ? [...this.recipePath, this.recipePointer] : [...this.recipePath];
    return {
      environment: this.environment,
      payload,
      recipe: this.#document,
      'recipe-path': path,
      'recipe-pointer': destination,
    };
  }

  #requireTransport(): Transport {
    if (!this.transport) {
      throw new RecipeWrapperError(
        'This RecipeWrapper object does not contain a reference to a transport object.',
      );
    }
    return this.transport;
  }

  #requireStep(): RecipeStep {
    if (this.recipeStep === undefined) {
      throw new RecipeWrapperError(
        'This RecipeWrapper object does not contain a recipe with a selected step.',
      );
    }
    return this.recipeStep;
  }

  async #sendToSteps(links: unknown, payload: unknown, options: RecipeSendOptions): Promise<void> {
    const destinations: readonly unknown[] = Array.isArray(links) ? links : [links];
    this.#checkFanOut(destinations, payload);
    for (const step of destinations) await this.#sendToStep(step, payload, options, true);
  }

  /** Messages a send to `destination` makes: one to its queue, one to its topic. */
  #messagesTo(destination: unknown): number {
    const step = typeof destination === 'number' ? this.recipe.step(destination) : undefined;
    return step === undefined ? 0 : (step.queue ? 1 : 0) + (step.topic ? 1 : 0);
  }

  /**
   * Refuse a fan-out that the message's output budget cannot hold before sending any of it, having
   * encoded one of its messages: each carries the whole recipe, so a 10,000-way fan-out of a 0.6 MB
   * recipe is 6.5 GB. (Each send is counted again as it goes; this only looks ahead.)
   */
  #checkFanOut(destinations: readonly unknown[], payload: unknown): void {
    const budget = this.#budget;
    if (budget === undefined) return;
    let count = 0;
    let pointerBytes = 0;
    let first: number | undefined;
    for (const destination of destinations) {
      const messages = this.#messagesTo(destination);
      if (messages === 0) continue;
      first ??= destination as number;
      count += messages;
      pointerBytes += messages * String(destination).length;
    }
    if (first === undefined || count < 2) return;
    const what = `recipe step ${this.recipePointer}'s output to ${destinations.length} steps`;
    budget.check(count, 0, what);
    // The messages differ only in their recipe-pointer: one encoding gives the size of each.
    const rest = Buffer.byteLength(encodeBody(this.envelope(first, payload))) - String(first).length;
    budget.check(
      count,
      count * rest + pointerBytes,
      `${what} (${count} messages of ${rest + String(first).length} bytes: each carries the whole recipe)`,
    );
  }

  /** As #checkFanOut, for the start messages: each is bigger than the recipe it carries. */
  #checkStart(): void {
    const budget = this.#budget;
    if (budget === undefined) return;
    let count = 0;
    for (const [step] of this.recipe.start) count += this.#messagesTo(step);
    if (count < 2) return;
    budget.check(count, 0, 'the start of the recipe');
    this.#document ??= this.recipe.toJSON();
    const recipe = Buffer.byteLength(encodeBody(this.#document));
    budget.check(
      count,
      count * recipe,
      `the start of the recipe (${count} messages of more than ${recipe} bytes: each carries the whole recipe)`,
    );
  }

  async #sendToStep(
    destination: unknown,
    payload: unknown,
    options: RecipeSendOptions,
    addPathStep: boolean,
  ): Promise<void> {
    const transport = this.#requireTransport();
    const step = typeof destination === 'number' ? this.recipe.step(destination) : undefined;
    if (step === undefined) {
      throw new RecipeWrapperError(
        `cannot send to step ${JSON.stringify(destination)}: the recipe has no such step`,
      );
    }
    const number = destination as number;
    const headers: MessageHeaders = { ...options.headers, [RECIPE_HEADER]: true };
    let delay = options.delay;
    if (delay === undefined && hasOwn(step, 'transport-delay')) delay = step['transport-delay'];
    const { expiration, transaction, persistent } = options;
    const message = this.envelope(number, payload, addPathStep);
    const queue = step.queue;
    const topic = step.topic;
    if (queue) {
      const exchange = step.exchange || undefined;
      if (exchange !== undefined && !transport.capabilities.exchange) {
        throw new UnsupportedCapabilityError(
          'exchange',
          transport.name,
          `recipe step ${number} publishes to exchange "${exchange}", which needs a transport with exchanges (AMQP)`,
        );
      }
      const sendOptions: SendOptions = { headers, delay, expiration, transaction, persistent, exchange };
      await this.#withRetry(transaction, () => transport.send(queue, message, sendOptions));
    }
    if (topic) {
      await this.#withRetry(transaction, () =>
        transport.broadcast(topic, message, { headers, delay, expiration, transaction }),
      );
    }
    if (!queue && !topic) {
      this.#logger.warn(
        { recipe_ID: this.recipeId, step: number },
        `recipe step ${number} has neither "queue" nor "topic"; the message goes nowhere`,
      );
    }
  }

  /** Retry a send the transport did not try (retry.ts); not inside a transaction, which ends with the connection. */
  #withRetry(transaction: TransactionId | undefined, operation: () => Promise<void>): Promise<void> {
    if (transaction !== undefined) return operation();
    return withReconnect(this.#requireTransport(), operation, this.#retry, this.#logger);
  }
}
