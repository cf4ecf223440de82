/**
 * Running a wrapper as a recipe step (python-zocalo's `zocalo.wrap`): find it by name among
 * installed packages (`"zocalo": { "wrappers": { NAME: EXPORT } }`, python-zocalo's
 * `zocalo.wrappers` entry points) or the built-ins (`command`, `dummy`), read the step's message
 * from the recipe wrapper file, broadcast status while it runs, and report on the step's outputs:
 * `starting`, then `success` or `failure`, then `completed`.
 */
import { dirname } from 'node:path';
import type { Configuration } from '@zocalo/configuration';
import { RecipeWrapper } from '@zocalo/recipes';
import type { EntryPoint, EntryPointSearch, Logger, Transport } from '@zocalo/workflows';
import {
  PluginLoadError,
  ServiceState,
  WRAPPERS_GROUP,
  extendedStatusFields,
  findEntryPoint,
  findEntryPoints,
  getDefaultLogger,
  loadEntryPoint,
  readRegularFile,
} from '@zocalo/workflows';
import type { BaseWrapper, WrapperContext, WrapperFactory, WrapperOutcome } from './base-wrapper';
import { failureText } from './base-wrapper';
import { CommandWrapper } from './command-wrapper';
import { DummyWrapper } from './dummy-wrapper';
import { SlurmWrapper } from './slurm-wrapper';
import { RecipeWrapperFileError, UnknownWrapperError } from './errors';
import { WrapperStatus } from './status';
import { ZOCALO_VERSION } from './version';

/** The wrappers every installation has (also declared in this package's package.json). */
export const BUILT_IN_WRAPPERS: Readonly<Record<string, WrapperFactory>> = Object.freeze({
  command: CommandWrapper,
  dummy: DummyWrapper,
  slurm: SlurmWrapper,
});

/** Seconds a stopped wrapper is given to return before the runner reports it and ends. */
export const WRAPPER_STOP_TIMEOUT = 10;

/** A wrapper that can be picked by name. */
export interface KnownWrapper {
  readonly name: string;
  /** The package that provides it. */
  readonly packageName: string;
  /** Its entry point, for an installed package's. */
  readonly entryPoint?: EntryPoint;
}

/** The default search: the working directory's project and the running script's installation. */
export function defaultWrapperSearch(): EntryPointSearch {
  const script = process.argv[1];
  return { cwd: process.cwd(), extraRoots: script ? [dirname(script)] : [] };
}

/** The wrappers of installed packages and the built-ins (unless a package provides one of their names), by name. */
export function knownWrappers(search: EntryPointSearch = defaultWrapperSearch()): KnownWrapper[] {
  const found: KnownWrapper[] = findEntryPoints(WRAPPERS_GROUP, search).map((entryPoint) => ({
    name: entryPoint.name,
    packageName: entryPoint.packageName,
    entryPoint,
  }));
  for (const name of Object.keys(BUILT_IN_WRAPPERS))
    if (!found.some((known) => known.name === name)) found.push({ name, packageName: '@zocalo/wrapper' });
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/**
 * The wrapper called `name` (exactly, else ignoring case when unambiguous): an installed package's,
 * else a built-in. Throws {@link UnknownWrapperError}, or `PluginLoadError` naming the package
 * whose declared module cannot be loaded or does not export a wrapper.
 */
export async function loadWrapper(
  name: string,
  search: EntryPointSearch = defaultWrapperSearch(),
): Promise<WrapperFactory> {
  const entry = findEntryPoint(WRAPPERS_GROUP, name, search);
  // This package's own declarations are the built-ins: never a second copy of it (its build).
  if (!entry || (entry.packageName === '@zocalo/wrapper' && Object.hasOwn(BUILT_IN_WRAPPERS, entry.name))) {
    if (Object.hasOwn(BUILT_IN_WRAPPERS, name)) return BUILT_IN_WRAPPERS[name];
    throw new UnknownWrapperError(
      name,
      knownWrappers(search).map((known) => known.name),
    );
  }
  const value = await loadEntryPoint(entry);
  if (typeof value !== 'function') {
    throw new PluginLoadError(
      entry,
      'its export is not a wrapper: export a class extending BaseWrapper (or a function returning one)',
    );
  }
  return value as WrapperFactory;
}

/**
 * Read a recipe wrapper file (`--recipewrapper`: the message a service would have received, as
 * JSON) into a {@link RecipeWrapper} that sends through `transport`.
 */
export function readRecipeWrapperFile(file: string, transport: Transport, logger?: Logger): RecipeWrapper {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RecipeWrapperFileError(file, `cannot be read (${code ?? (error as Error).message})`, {
      cause: error,
    });
  }
  let message: unknown;
  try {
    message = JSON.parse(text) as unknown;
  } catch (error) {
    throw new RecipeWrapperFileError(file, `is not JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    return RecipeWrapper.fromMessage(message, transport, { logger });
  } catch (error) {
    throw new RecipeWrapperFileError(file, (error as Error).message, { cause: error });
  }
}

export interface RunWrapperOptions {
  /** A wrapper name (`zocalo wrap --wrap NAME`), or the class (or factory) itself. */
  readonly wrapper: string | WrapperFactory;
  /** A connected transport, for the status broadcasts and the step's messages. */
  readonly transport: Transport;
  /** The step's recipe wrapper; or {@link recipeWrapperFile}; without either only status is reported. */
  readonly recipeWrapper?: RecipeWrapper;
  /** A recipe wrapper file to read (`--recipewrapper FILE`). */
  readonly recipeWrapperFile?: string;
  /** Arguments for the wrapper (`zocalo wrap ... -- ARGS`; the program and its arguments for `command`). */
  readonly args?: readonly string[];
  /** The task name in status views. Default: the wrapper's name (the program's for `command`), with the step's `wrapper.task_information`. */
  readonly task?: string;
  readonly logger?: Logger;
  /** Where wrappers are looked for by name. Default {@link defaultWrapperSearch}. */
  readonly search?: EntryPointSearch;
  /** The site configuration, handed to the wrapper. */
  readonly configuration?: Configuration;
  /** Seconds between status broadcasts. Default 3. */
  readonly statusInterval?: number;
  /** The unique host id of the status broadcasts. Default: this process's. */
  readonly hostId?: string;
  /** Static status fields, besides {@link extendedStatusFields} (which `statusFields: {}` does not turn off). */
  readonly statusFields?: Readonly<Record<string, unknown>>;
  /** Aborting it stops the wrapper (its `signal`), which is then reported as a failure. */
  readonly signal?: AbortSignal;
  /** Seconds a stopped wrapper has to return. Default {@link WRAPPER_STOP_TIMEOUT}. */
  readonly stopTimeout?: number;
}

/** How a wrapper run ended. */
export interface WrapperRunReport {
  readonly success: boolean;
  /** `success`; `failure` (run() said so); `error` (it threw, or could not be made); `stopped` (signal). */
  readonly outcome: 'success' | 'failure' | 'error' | 'stopped';
  /** The exit code for `zocalo wrap`: 0 on success, else the wrapper's (1 by default). */
  readonly exitCode: number;
  /** What `success` or `failure` was sent. */
  readonly payload: unknown;
  /** Why it failed, in words, when it did. */
  readonly error?: string;
  /** The task name it ran as. */
  readonly task: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function ownString(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function isOutcome(value: unknown): value is WrapperOutcome {
  return (
    value !== null && typeof value === 'object' && typeof (value as WrapperOutcome).success === 'boolean'
  );
}

async function makeWrapper(factory: WrapperFactory, context: WrapperContext): Promise<BaseWrapper> {
  if (isClass(factory)) return new (factory as new (c: WrapperContext) => BaseWrapper)(context);
  return (factory as (c: WrapperContext) => BaseWrapper | Promise<BaseWrapper>)(context);
}

type Settled = { readonly value: unknown } | { readonly error: unknown } | { readonly timedOut: true };

/** Run `work`; once `signal` aborts, give it `seconds` more to settle. */
function settleOrTimeOut(work: () => unknown, signal: AbortSignal, seconds: number): Promise<Settled> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(() => resolve({ timedOut: true }), seconds * 1000);
    };
    const finish = (settled: Settled): void => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      resolve(settled);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(work)
      .then(
        (value) => finish({ value }),
        (error: unknown) => finish({ error }),
      );
  });
}

function stopReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? reason.message : 'a stop request';
}

/**
 * Run a wrapper as the recipe step, as `zocalo wrap` does: status broadcasts from the start
 * (`starting`, `processing`, then `shutdown` or `error`), `starting` before `run()`, then `success`
 * or `failure`, and `completed` at the end. A wrapper that throws, returns false or is stopped is
 * reported as a failure, never thrown; what is thrown is an unknown wrapper, a package that fails to
 * load, or an unreadable recipe wrapper file, before anything is sent.
 */
export async function runWrapper(options: RunWrapperOptions): Promise<WrapperRunReport> {
  const { transport } = options;
  const name = typeof options.wrapper === 'string' ? options.wrapper : options.wrapper.name || 'wrapper';
  const factory =
    typeof options.wrapper === 'string'
      ? await loadWrapper(options.wrapper, options.search ?? defaultWrapperSearch())
      : options.wrapper;
  const baseLogger = options.logger ?? getDefaultLogger();
  const recipeWrapper =
    options.recipeWrapper ??
    (options.recipeWrapperFile === undefined
      ? undefined
      : readRecipeWrapperFile(options.recipeWrapperFile, transport, baseLogger));
  const recipeId = recipeWrapper?.recipeId;
  const logger = recipeId ? baseLogger.child({ recipe_ID: recipeId }) : baseLogger;

  const status = new WrapperStatus({
    transport,
    task: name,
    logger,
    interval: options.statusInterval,
    host: options.hostId,
    fields: { ...extendedStatusFields(process.env, { version: ZOCALO_VERSION }), ...options.statusFields },
  });
  status.start();
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const sendTo = async (output: string, payload: unknown): Promise<void> => {
    if (recipeWrapper) await recipeWrapper.sendTo(output, payload);
  };
  let instance: BaseWrapper | undefined;
  let report: Omit<WrapperRunReport, 'task'>;
  try {
    const context: WrapperContext = {
      name,
      recipeWrapper,
      transport,
      status,
      logger,
      signal: stop.signal,
      args: options.args ?? [],
      configuration: options.configuration,
    };
    try {
      instance = await makeWrapper(factory, context);
    } catch (error) {
      logger.error({ err: error }, `cannot make the ${name} wrapper: ${describe(error)}`);
      status.setStatus(ServiceState.ERROR);
      const text = describe(error);
      await sendTo('failure', text);
      await sendTo('completed', 'Finished processing');
      return { success: false, outcome: 'error', exitCode: 1, payload: text, error: text, task: status.task };
    }
    const information = ownString(ownString(recipeWrapper?.recipeStep, 'wrapper'), 'task_information');
    if (information !== undefined && information !== null && information !== '')
      status.task = `${status.task} (${String(information)})`;
    if (options.task !== undefined) status.task = options.task;
    const wrapper = instance;
    const settled = await settleOrTimeOut(
      async () => {
        await wrapper.prepare(await wrapper.starting());
        status.setStatus(ServiceState.PROCESSING);
        logger.info({}, 'Setup complete, starting processing');
        return wrapper.run();
      },
      stop.signal,
      options.stopTimeout ?? WRAPPER_STOP_TIMEOUT,
    );
    report = await conclude(
      wrapper,
      settled,
      stop.signal,
      options.stopTimeout ?? WRAPPER_STOP_TIMEOUT,
      logger,
    );
    status.setStatus(report.outcome === 'error' ? ServiceState.ERROR : ServiceState.END);
    await wrapper.done('Finished processing');
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await status.stop();
  }
  return { ...report, task: status.task };
}

/** Turn how `run()` settled into the report, sending `success` or `failure`. */
async function conclude(
  wrapper: BaseWrapper,
  settled: Settled,
  signal: AbortSignal,
  stopTimeout: number,
  logger: Logger,
): Promise<Omit<WrapperRunReport, 'task'>> {
  if (signal.aborted) {
    const reason = `stopped by ${stopReason(signal)}`;
    let payload: unknown = `Processing ${reason}`;
    let exitCode = 1;
    if ('timedOut' in settled)
      payload = `Processing ${reason}; the wrapper did not return within ${stopTimeout} s`;
    else if ('value' in settled && isOutcome(settled.value) && !settled.value.success) {
      payload = settled.value.payload ?? payload;
      exitCode = settled.value.exitCode || 1;
    }
    logger.warn({}, `processing ${reason}`);
    await wrapper.failure(payload);
    return {
      success: false,
      outcome: 'stopped',
      exitCode,
      payload: failureText(payload),
      error: `processing ${reason}`,
    };
  }
  if ('error' in settled) {
    const text = describe(settled.error);
    logger.error({ err: settled.error }, text);
    await wrapper.failure(settled.error);
    return { success: false, outcome: 'error', exitCode: 1, payload: text, error: text };
  }
  const value = (settled as { value: unknown }).value;
  const outcome: WrapperOutcome = isOutcome(value) ? value : { success: Boolean(value) };
  if (outcome.success) {
    logger.info({}, 'successfully finished processing');
    const payload = outcome.payload ?? 'Finished processing';
    await wrapper.success(payload);
    return { success: true, outcome: 'success', exitCode: outcome.exitCode ?? 0, payload };
  }
  logger.info({}, 'processing failed');
  const payload = outcome.payload ?? 'Processing failed';
  await wrapper.failure(payload);
  const error = ownString(payload, 'error');
  return {
    success: false,
    outcome: 'failure',
    exitCode: outcome.exitCode || 1,
    payload: failureText(payload),
    error: typeof error === 'string' ? error : typeof payload === 'string' ? payload : 'processing failed',
  };
}
