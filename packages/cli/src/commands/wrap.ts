/**
 * `zocalo wrap --recipe-wrapper F --wrap <cmd> [-- args...]`: run an external program as a recipe
 * step (python-zocalo's `zocalo.wrap`; see `wrap-step.ts` for what the program gets and where its
 * result goes). Exits with the program's exit code (1 if it could not start or was killed).
 */
import type { Command } from 'commander';
import { RecipeWrapper } from '@zocalo/recipes';
import { readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, oneLine, readProblem } from '../cli-error';
import type { CliIo } from '../io';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';
import { wrapStep } from '../wrap-step';

interface WrapOptions extends SiteOptions {
  readonly recipeWrapper?: string;
  readonly recipewrapper?: string;
  readonly wrap?: string;
  readonly task?: string;
  readonly statusInterval: string;
}

function readEnvelope(file: string): unknown {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    throw new CliError(`cannot read recipe wrapper file ${file}: ${readProblem(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`recipe wrapper file ${file} is not JSON: ${oneLine(error)}`);
  }
}

export function registerWrap(program: Command, io: CliIo): void {
  const command = program
    .command('wrap')
    .summary('run an external program as a recipe step, with status')
    .description(
      "Run a program as a recipe step: it gets the step's parameters, payload and environment as JSON on " +
        "stdin, prints its result as JSON on stdout, and its result and exit code go to the step's outputs " +
        '(exit 0) or its error steps; status broadcasts every 3 s while it runs.',
    )
    .argument('[args...]', 'arguments for the program (after --)')
    .option(
      '--recipe-wrapper <file>',
      "the step's message (a recipe envelope, JSON) for downstream communication",
    )
    .option('--recipewrapper <file>', 'the same, as python-zocalo spells it')
    .requiredOption('--wrap <command>', 'the program to run')
    .option('--task <name>', 'the name shown in status views (default: the program name)')
    .option('--status-interval <seconds>', 'seconds between status broadcasts', '3');
  addSiteOptions(command);
  command.action(async (args: string[], options: WrapOptions) => {
    const file = options.recipeWrapper ?? options.recipewrapper;
    const envelope = file === undefined ? undefined : readEnvelope(file);
    const interval = Number(options.statusInterval);
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new CliError(
        `--status-interval must be a positive number of seconds, got "${options.statusInterval}"`,
      );
    }
    const site = loadSite(io, 'zocalo.wrap', options, 'info');
    const transport = await site.connect();
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      let wrapper: RecipeWrapper | undefined;
      if (envelope !== undefined) {
        try {
          wrapper = RecipeWrapper.fromMessage(envelope, transport, { logger: site.logger });
        } catch (error) {
          throw new CliError(`recipe wrapper file ${file}: ${oneLine(error)}`, undefined, { cause: error });
        }
      }
      const logger = wrapper?.recipeId ? site.logger.child({ recipe_ID: wrapper.recipeId }) : site.logger;
      logger.info(
        { wrap: options.wrap, recipewrapper: file },
        `Starting wrapper for ${options.wrap} with recipewrapper file ${file ?? '(none)'}`,
      );
      const result = await wrapStep({
        transport,
        wrapper,
        command: options.wrap!,
        args,
        task: options.task,
        statusInterval: interval,
        logger,
        signal: stop.signal,
      });
      // The program's failure is the command's: its message, and its exit code.
      if (!result.success) throw new CliError(result.error ?? 'failed', result.exitCode || EXIT_FAILURE);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await disconnectQuietly(transport, site.logger);
    }
  });
}
