/**
 * The base class of a wrapper (python-zocalo's `BaseWrapper`): a processing task run as one recipe
 * step, by `zocalo wrap --wrap NAME --recipewrapper FILE` or {@link runWrapper}. A wrapper
 * implements {@link BaseWrapper.run}; the runner reports around it on the step's named outputs,
 * the same names as Python's, so recipes written for Python wrappers route the same way:
 *
 * | method                       | recipe output            | sent by the runner                        |
 * | ---------------------------- | ------------------------ | ----------------------------------------- |
 * | `prepare`                    | `starting`               | before `run()`: `"Starting processing"`   |
 * | `update`                     | `updates`                | (by the wrapper, while it runs)           |
 * | `success`                    | `success`                | `run()` true: `"Finished processing"`     |
 * | `failure`                    | `failure`                | `run()` false: `"Processing failed"`; throws: the error text |
 * | `done`                       | `completed`              | at the end, always: `"Finished processing"` |
 * | `recordResultIndividualFile` | `result-individual-file` | (by the wrapper, per file)                |
 * | `recordResultAllFiles`       | `result-all-files`       | (by the wrapper, once)                    |
 */
import type { Configuration } from '@zocalo/configuration';
import type { RecipeWrapper } from '@zocalo/recipes';
import type { Logger, Transport } from '@zocalo/workflows';
import type { WrapperStatus } from './status';

/** What a wrapper is made with: the runner gives it, before `run()`. */
export interface WrapperContext {
  /** The name it was picked by (`--wrap NAME`). */
  readonly name: string;
  /** The step's recipe wrapper (`--recipewrapper FILE`); without one the reporting methods send nothing. */
  readonly recipeWrapper?: RecipeWrapper;
  /** The connected transport the step's messages and the status go through. */
  readonly transport: Transport;
  /** The status broadcasts: change `task`, or add a static field such as a cluster job id. */
  readonly status: WrapperStatus;
  readonly logger: Logger;
  /** Aborted when the wrapper must stop (SIGTERM, SIGINT): stop the work and return or throw. */
  readonly signal: AbortSignal;
  /** Arguments for the wrapper (what follows `--` on the command line). */
  readonly args: readonly string[];
  /** The site configuration, when the runner has one (a plugin's settings: `configuration.plugins.<name>`). */
  readonly configuration?: Configuration;
}

/**
 * What `run()` says: `true` for success and `false` for failure (Python's truthy and falsy), or an
 * outcome with the payload to send to `success` / `failure` instead of the default text, and the
 * exit code for `zocalo wrap` (default 0 for success, 1 for failure).
 */
export type WrapperRunResult = boolean | WrapperOutcome;

export interface WrapperOutcome {
  readonly success: boolean;
  /** What `success` or `failure` gets. Default: `"Finished processing"` / `"Processing failed"`. */
  readonly payload?: unknown;
  readonly exitCode?: number;
}

/** The text Python's runner sends as `starting`. */
export const STARTING_TEXT = 'Starting processing';

/** The text a failure payload becomes: an error's message (Python sends `str(exception)`). */
export function failureText(payload: unknown): unknown {
  return payload instanceof Error ? payload.message : payload;
}

export abstract class BaseWrapper {
  /** The name it was picked by. */
  readonly name: string;
  /** python-zocalo's `recwrap`. */
  recipeWrapper: RecipeWrapper | undefined;
  /** python-zocalo's `status_thread`: `this.status.task += ' (still running)'`. */
  readonly status: WrapperStatus;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly args: readonly string[];
  readonly configuration: Configuration | undefined;

  constructor(context: WrapperContext) {
    this.name = context.name;
    this.recipeWrapper = context.recipeWrapper;
    this.status = context.status;
    this.transport = context.transport;
    this.logger = context.logger;
    this.signal = context.signal;
    this.args = context.args;
    this.configuration = context.configuration;
  }

  /** python-zocalo's `set_recipe_wrapper`. */
  setRecipeWrapper(recipeWrapper: RecipeWrapper | undefined): void {
    this.recipeWrapper = recipeWrapper;
  }

  /** Do the work. Return `true` on success, `false` on failure (or a {@link WrapperOutcome}); a throw is a failure. */
  abstract run(): Promise<WrapperRunResult> | WrapperRunResult;

  /**
   * What `starting` gets, called by the runner before it sends `starting` and calls `run()`.
   * Default: `"Starting processing"`, as Python. A wrapper whose work is a cluster job submits it
   * here and returns its id with the text (and adds it to the status with
   * `this.status.setStaticField`), so that the recipe and the status views know the job.
   */
  starting(): Promise<unknown> | unknown {
    return STARTING_TEXT;
  }

  /** Send to the step's `starting` output. */
  prepare(payload: unknown = ''): Promise<void> {
    return this.sendTo('starting', payload);
  }

  /** Send to the step's `updates` output. */
  update(payload: unknown = ''): Promise<void> {
    return this.sendTo('updates', payload);
  }

  /** Send to the step's `completed` output. */
  done(payload: unknown = ''): Promise<void> {
    return this.sendTo('completed', payload);
  }

  /** Send to the step's `success` output. */
  success(payload: unknown = ''): Promise<void> {
    return this.sendTo('success', payload);
  }

  /** Send to the step's `failure` output; an error is sent as its message. */
  failure(payload: unknown = ''): Promise<void> {
    return this.sendTo('failure', failureText(payload));
  }

  /** Send to the step's `result-individual-file` output (one result file). */
  recordResultIndividualFile(payload: unknown = ''): Promise<void> {
    return this.sendTo('result-individual-file', payload);
  }

  /** Send to the step's `result-all-files` output (every result file, once). */
  recordResultAllFiles(payload: unknown = ''): Promise<void> {
    return this.sendTo('result-all-files', payload);
  }

  private async sendTo(output: string, payload: unknown): Promise<void> {
    if (this.recipeWrapper) await this.recipeWrapper.sendTo(output, payload);
  }
}

/** A wrapper class, as a package exports it: constructed with the {@link WrapperContext}. */
export type WrapperClass = new (context: WrapperContext) => BaseWrapper;

/** What a package's `wrappers` entry may name: a wrapper class, or a function making one. */
export type WrapperFactory = WrapperClass | ((context: WrapperContext) => BaseWrapper | Promise<BaseWrapper>);
