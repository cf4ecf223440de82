/**
 * The Dispatcher service (python-zocalo's `zocalo.service.dispatcher.Dispatcher`): the single point
 * of contact that takes processing requests from `processing_recipe` and starts the recipes they
 * name. For each request it
 *
 * 1. rejects it when it is not an object, its `parameters` are not an object, or it is nested too
 *    deep to be passed on;
 * 2. sets `parameters.guid` to a new UUID4 unless given (or given as something Python reads as
 *    false) — the recipe ID of everything that follows (a non-empty object or list is rejected);
 * 3. asks the readiness hooks, holding the request back while one says no (`readiness.ts`);
 * 4. runs the filters in order on copies of the request and parameters: site filters, then load the
 *    custom recipe, load the named recipes, apply the parameters (once, to the merged recipe);
 * 5. starts the merged recipe with environment `{ID: guid}` — its sends and the ack of the request
 *    in one transaction — and writes the request to the logbook, if there is one.
 *
 * Every request it will not process is rejected (nack = dead-lettered) with the reason logged;
 * nothing is acked away. A hook or send that throws gets the request released for another try,
 * unless no retry can cure it (a recipe whose messages are too deep or too big to send): then the
 * runtime aborts the transaction and dead-letters the request, with the reason.
 */
import type { ValidateOptions } from '@zocalo/recipes';
import { NO_RETRY, Recipe, RecipeWrapper, messageTransport, recipeHandler } from '@zocalo/recipes';
import { Service, decodeBody, encodeBody, isPermanentError, setTraceAttributes } from '@zocalo/workflows';
import type { Logger, MessageContext, ServiceContext } from '@zocalo/workflows';
import { DispatchError } from './errors';
import type { DispatcherFilter, FilterContext, FilterState } from './filters';
import { STANDARD_FILTERS } from './filters';
import { Logbook } from './logbook';
import type { ReadinessHook } from './readiness';
import { holdBack } from './readiness';
import type { ProcessingRequest } from './request';
import { PROCESSING_QUEUE, assignGuid, readRequest } from './request';

export interface DispatcherOptions {
  /** Where named recipes are (python-zocalo: storage `zocalo.recipe_directory`). */
  readonly recipeDirectory?: string;
  /** Write each request here (python-zocalo: storage `zocalo.dispatcher.logbook_location`). */
  readonly logbook?: string;
  /**
   * The filters, in order. Default {@link STANDARD_FILTERS}; to add your own, put them first:
   * `[myFilter, ...STANDARD_FILTERS]` (python-zocalo runs its entry-point filters first).
   */
  readonly filters?: readonly DispatcherFilter[];
  /** Hooks that may hold a request back until it is ready; none by default. */
  readonly readiness?: readonly ReadinessHook[];
  /** The queue to listen on. Default `processing_recipe`. */
  readonly queue?: string;
  /**
   * How recipes are validated: `full` (default: python-workflows' rules, then our schema and
   * destination checks) or `python` (python-workflows' rules only).
   */
  readonly validation?: NonNullable<ValidateOptions['level']>;
  /** Seconds before a held-back request is looked at again. Default 2 (python-zocalo's). */
  readonly holdBackDelay?: number;
  /**
   * Most times one chain of recipes may pass through the Dispatcher (a recipe step whose queue is
   * `processing_recipe`, whose request starts another recipe, ...). A request beyond it is rejected
   * (dead-lettered) with the reason, so that a recipe that dispatches itself cannot loop forever.
   * Counted in the new recipe's environment as `dispatcher_hops`, which every service, Python ones
   * included, carries along unchanged. Default 100.
   */
  readonly maxHops?: number;
  /** The clock, in epoch milliseconds (tests). */
  readonly now?: () => number;
  /** Makes recipe IDs (tests). Default: a UUID4. */
  readonly newId?: () => string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A deep copy of received data, made as the wire makes it (keys such as `__proto__` stay own data;
 * integers beyond 2^53, NaN and Infinity survive).
 */
function jsonCopy<T>(value: T): T {
  if (value === undefined) return value;
  try {
    return decodeBody(encodeBody(value)) as T;
  } catch (error) {
    // After readRequest's depth check only a value beyond what JSON can carry gets here.
    throw new DispatchError(`Dispatcher rejected malformed message: ${describe(error)}`, { cause: error });
  }
}

/** Where the Dispatcher counts its passes, in a recipe's environment. */
export const HOPS_KEY = 'dispatcher_hops';
const DEFAULT_MAX_HOPS = 100;

function dispatcherHops(environment: Readonly<Record<string, unknown>>): number {
  const value = Object.prototype.hasOwnProperty.call(environment, HOPS_KEY) ? environment[HOPS_KEY] : 0;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

function nameOf(fn: { readonly name: string }, index: number): string {
  return fn.name || `filter ${index + 1}`;
}

export class Dispatcher extends Service {
  readonly name = 'Dispatcher';
  readonly queue: string;
  readonly recipeDirectory: string | undefined;
  readonly filters: readonly DispatcherFilter[];
  readonly readiness: readonly ReadinessHook[];
  private readonly validation: NonNullable<ValidateOptions['level']>;
  private readonly now: () => number;
  private logbook: Logbook | undefined;

  constructor(private readonly options: DispatcherOptions = {}) {
    super();
    this.queue = options.queue ?? PROCESSING_QUEUE;
    this.recipeDirectory = options.recipeDirectory || undefined;
    this.filters = options.filters ?? STANDARD_FILTERS;
    this.readiness = options.readiness ?? [];
    this.validation = options.validation ?? 'full';
    this.now = options.now ?? Date.now;
  }

  /** A fixed class name, so that shutdown commands find it whatever a bundler does to the code. */
  override get serviceClass(): string {
    return 'Dispatcher';
  }

  override async initializing(ctx: ServiceContext): Promise<void> {
    ctx.logger.info({ queue: this.queue, recipeDirectory: this.recipeDirectory }, 'Dispatcher starting');
    if (!this.recipeDirectory) {
      ctx.logger.warn(
        {},
        'no recipe directory configured (storage zocalo.recipe_directory): requests naming recipes will be rejected',
      );
    }
    this.logbook = await Logbook.open(this.options.logbook, ctx.logger);
    await ctx.subscribe(
      this.queue,
      recipeHandler((rw, msg) => this.process(rw, msg), {
        allowNonRecipe: true,
        validate: this.validation,
      }),
    );
  }

  /**
   * Handle one request. A request sent along a recipe (a step whose queue is `processing_recipe`)
   * is its payload; any other message is the request itself.
   */
  async process(rw: RecipeWrapper | undefined, msg: MessageContext): Promise<void> {
    const started = performance.now();
    const body = rw ? rw.payload : msg.message;
    let request: ReturnType<typeof readRequest>['request'];
    let parameters: Record<string, unknown>;
    try {
      ({ request, parameters } = readRequest(body));
    } catch (error) {
      return msg.reject(describe(error));
    }
    // Only a request that came along a recipe counts: a request sent from outside starts at 0, and its
    // recipe's environment stays { ID } as python-zocalo's.
    const hops = rw ? dispatcherHops(rw.environment) + 1 : 0;
    const maxHops = this.options.maxHops ?? DEFAULT_MAX_HOPS;
    if (hops > maxHops) {
      return msg.reject(
        `Dispatcher rejected the request: its recipe chain has passed through the Dispatcher ${hops} times ` +
          `(limit ${maxHops}, environment "${HOPS_KEY}"); does a recipe send to ${this.queue} in a loop?`,
      );
    }
    let guid: string;
    let original: ProcessingRequest | undefined;
    try {
      guid = assignGuid(parameters, this.options.newId);
      original = this.logbook ? jsonCopy(request) : undefined;
    } catch (error) {
      return msg.reject(describe(error));
    }
    if (rw) {
      msg.logger.info({ new_recipe_ID: guid }, `Processing request with new recipe ID ${guid}`);
    }
    const logger = msg.logger.child({ recipe_ID: guid });
    logger.debug({ request }, 'Received processing request');
    // The span of this request (when tracing is on) names the recipe it starts, and its DCID.
    const dcid = parameters.ispyb_dcid;
    setTraceAttributes(
      typeof dcid === 'string' || (typeof dcid === 'number' && Number.isFinite(dcid))
        ? { recipe_id: guid, dcid }
        : { recipe_id: guid },
    );

    // Step 1: may the request be processed yet?
    for (const [index, ready] of this.readiness.entries()) {
      const context = { guid, logger, header: msg.header, transport: msg.transport };
      if (await ready(request, parameters, context)) continue;
      return this.holdBack(msg, request, parameters, logger, nameOf(ready, index));
    }

    // Step 2: the filters build the recipe.
    let state: FilterState;
    try {
      state = { message: jsonCopy(request), parameters: jsonCopy(parameters), recipe: new Recipe() };
    } catch (error) {
      return msg.reject(describe(error));
    }
    const context: FilterContext = {
      recipeDirectory: this.recipeDirectory,
      validation: this.validation,
      logger,
      header: msg.header,
      transport: msg.transport,
    };
    for (const [index, filter] of this.filters.entries()) {
      try {
        await filter(state, context);
      } catch (error) {
        return msg.reject(
          `Rejected message due to filter (${nameOf(filter, index)}) error: ${describe(error)}`,
        );
      }
    }
    if (state.recipe.isEmpty()) {
      return msg.reject(
        'Dispatcher rejected malformed message: it names no recipe ("recipes": names of recipe files, or "custom_recipe": a recipe)',
      );
    }
    logger.debug({ request: state.message, parameters: state.parameters }, 'Mangled processing request');

    // Step 3: start the recipe; its sends and the ack of the request commit together.
    let starter: RecipeWrapper;
    try {
      starter = RecipeWrapper.fromRecipe(state.recipe, messageTransport(msg), {
        environment: hops > 0 ? { ID: guid, [HOPS_KEY]: hops } : { ID: guid },
        logger,
        validate: this.validation,
        // A lost connection is the transport's to ride out; the runtime releases the request if not.
        retry: NO_RETRY,
        outputBudget: msg.outputBudget,
      });
    } catch (error) {
      return msg.reject(`Dispatcher rejected the merged recipe: ${describe(error)}`);
    }
    try {
      await starter.start();
    } catch (error) {
      // A start that no retry can cure (a payload too deep or too big to send): thrown, not rejected
      // here, so that the runtime aborts the transaction (none of the recipe's first messages go out)
      // before it dead-letters the request. Anything else is released for another try.
      if (!isPermanentError(error)) throw error;
      throw new DispatchError(`Dispatcher could not start the recipe: ${describe(error)}`, { cause: error });
    }
    await msg.ack();

    if (this.logbook) {
      await this.logbook.record({
        guid,
        header: msg.header,
        incoming: original,
        parsed: { ...state.message, recipe: state.recipe.toJSON() },
        recipe: state.recipe.toJSON(),
      });
    }
    logger.info(
      { recipes: state.message.recipes, seconds: (performance.now() - started) / 1000 },
      `Processed incoming message in ${((performance.now() - started) / 1000).toFixed(4)} seconds`,
    );
  }

  private async holdBack(
    msg: MessageContext,
    request: Record<string, unknown>,
    parameters: Record<string, unknown>,
    logger: Logger,
    hook: string,
  ): Promise<void> {
    let decision: ReturnType<typeof holdBack>;
    try {
      decision = holdBack(parameters, this.now() / 1000);
    } catch (error) {
      return msg.reject(describe(error));
    }
    switch (decision.kind) {
      case 'retry':
        await msg.send(this.queue, request, { delay: this.options.holdBackDelay ?? decision.delay });
        await msg.ack();
        logger.info({ hook, expiration: decision.expiration }, 'Message not yet ready for processing');
        return;
      case 'error-queue':
        await msg.send(decision.queue, request);
        await msg.ack();
        logger.info(
          { hook, queue: decision.queue },
          'Message rejected to specified error queue as still not ready for processing',
        );
        return;
      case 'dead-letter':
        return msg.reject(`Message rejected as still not ready for processing (hook ${hook})`);
    }
  }
}
