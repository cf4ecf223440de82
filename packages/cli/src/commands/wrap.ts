/**
 * `zocalo wrap --wrap NAME --recipewrapper FILE [-- args...]`: run a wrapper as a recipe step
 * (python-zocalo's `zocalo.wrap`; see @zocalo/wrapper's `runWrapper`). NAME is a wrapper of an
 * installed package (`--list` shows them), a built-in (`command`, `dummy`), or, as before wrappers
 * could be picked by name, a program to run with the built-in `command` wrapper. Exits 0 on
 * success, else the wrapper's exit code (a program's own; 1 otherwise).
 */
import type { Command } from 'commander';
import { RecipeWrapper } from '@zocalo/recipes';
import type { EntryPointSearch } from '@zocalo/workflows';
import { WRAPPERS_GROUP, findEntryPoint, isZocaloError, readRegularFile } from '@zocalo/workflows';
import { BUILT_IN_WRAPPERS, WRAPPER_ERROR_CODES, knownWrappers, runWrapper } from '@zocalo/wrapper';
import { CliError, EXIT_FAILURE, oneLine, readProblem } from '../cli-error';
import type { CliIo } from '../io';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';
import { startSiteTracing } from '../site-tracing';

interface WrapOptions extends SiteOptions {
  readonly list?: boolean;
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

/** The wrapper and arguments a `--wrap` value stands for: a wrapper by name, else a program to run. */
function chooseWrapper(
  name: string,
  args: readonly string[],
  search: EntryPointSearch,
): { wrapper: string; args: readonly string[]; program?: string } {
  if (findEntryPoint(WRAPPERS_GROUP, name, search) || Object.hasOwn(BUILT_IN_WRAPPERS, name)) {
    return { wrapper: name, args };
  }
  return { wrapper: 'command', args: [name, ...args], program: name };
}

export function registerWrap(program: Command, io: CliIo, search: () => EntryPointSearch): void {
  const command = program
    .command('wrap')
    .summary('run a wrapper (or an external program) as a recipe step, with status')
    .description(
      'Run a wrapper as a recipe step: one of an installed package (see --list), the built-in "dummy", or ' +
        '"command" (or just a program name or path), which runs a program that gets the step\'s parameters, ' +
        "payload and environment as JSON on stdin and prints its result as JSON on stdout. The step's " +
        'outputs starting, updates, success / failure and completed are sent as python-zocalo sends them; ' +
        'status broadcasts every 3 s while it runs. SIGTERM stops it, and that is a failure.',
    )
    .argument(
      '[args...]',
      'arguments for the wrapper (after --): the program and its arguments for "command"',
    )
    .option('-l, --list', 'list the wrappers of installed packages and the built-in ones')
    .option('--wrap <name>', 'the wrapper to run (a name from --list), or a program to run')
    .option(
      '--recipewrapper <file>',
      "the step's message (a serialised recipe wrapper, JSON) for downstream communication",
    )
    .option('--recipe-wrapper <file>', 'the same')
    .option(
      '--task <name>',
      'the name shown in status views (default: the wrapper name, or the program name)',
    )
    .option('--status-interval <seconds>', 'seconds between status broadcasts', '3');
  addSiteOptions(command);
  command.action(async (args: string[], options: WrapOptions) => {
    if (options.list) {
      const wrappers = knownWrappers(search());
      const width = Math.max(0, ...wrappers.map((wrapper) => wrapper.name.length));
      for (const wrapper of wrappers) io.stdout(`${wrapper.name.padEnd(width)}  ${wrapper.packageName}\n`);
      return;
    }
    if (!options.wrap) {
      throw new CliError(
        'A wrapper must be specified: --wrap NAME (zocalo wrap --list shows them), or --wrap PROGRAM.',
      );
    }
    const file = options.recipewrapper ?? options.recipeWrapper;
    const envelope = file === undefined ? undefined : readEnvelope(file);
    const interval = Number(options.statusInterval);
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new CliError(
        `--status-interval must be a positive number of seconds, got "${options.statusInterval}"`,
      );
    }
    const chosen = chooseWrapper(options.wrap, args, search());
    const site = loadSite(io, 'zocalo.wrap', options, 'info');
    const transport = await site.connect();
    // The wrapper's sends (its outputs, its status) in the trace, under the wrapper's name.
    const tracing = await startSiteTracing(site, options.wrap ?? 'wrapper').catch(async (error: unknown) => {
      await disconnectQuietly(transport, site.logger);
      throw error;
    });
    for (const middleware of tracing.middleware) transport.use(middleware);
    const stop = new AbortController();
    const onSigterm = (): void => stop.abort('SIGTERM');
    const onSigint = (): void => stop.abort('SIGINT');
    process.once('SIGTERM', onSigterm);
    process.once('SIGINT', onSigint);
    try {
      let recipeWrapper: RecipeWrapper | undefined;
      if (envelope !== undefined) {
        try {
          recipeWrapper = RecipeWrapper.fromMessage(envelope, transport, { logger: site.logger });
        } catch (error) {
          throw new CliError(`recipe wrapper file ${file}: ${oneLine(error)}`, undefined, { cause: error });
        }
      }
      site.logger.info(
        { wrap: options.wrap, recipewrapper: file },
        `Starting wrapper for ${options.wrap} with recipewrapper file ${file ?? '(none)'}`,
      );
      const report = await runWrapper({
        wrapper: chosen.wrapper,
        transport,
        recipeWrapper,
        args: chosen.args,
        task: options.task,
        statusInterval: interval,
        logger: site.logger,
        search: search(),
        configuration: site.configuration,
        signal: stop.signal,
      });
      if (!report.success) {
        let message = report.error ?? 'failed';
        // A bare name that is neither a wrapper nor a program: say both.
        if (chosen.program && !/[\\/]/.test(chosen.program) && /: ENOENT$/.test(message))
          message += ` (and no installed wrapper is called "${chosen.program}": zocalo wrap --list)`;
        throw new CliError(message, report.exitCode || EXIT_FAILURE);
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (isZocaloError(error, WRAPPER_ERROR_CODES.WrapperError))
        throw new CliError(oneLine(error), undefined, { cause: error });
      throw new CliError(`wrapper ${options.wrap} failed: ${oneLine(error)}`, EXIT_FAILURE, { cause: error });
    } finally {
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
      await disconnectQuietly(transport, site.logger);
      await tracing.shutdown();
    }
  });
}
