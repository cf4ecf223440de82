/**
 * `zocalo.wrap --wrap WRAP [--recipewrapper RW] [-v]`: python-zocalo's `zocalo.cli.wrap` (argparse).
 * `--wrap` is one of the installed wrappers (and the built-in `command` and `dummy`); without it the
 * command exits 1 with Python's message. As in Python, the exit code is 0 once the wrapper ran,
 * whether it reported success or failure: the recipe's outputs say which (the `zocalo wrap` face
 * exits non-zero on failure instead).
 */
import type { RecipeWrapper } from '@zocalo/recipes';
import { knownWrappers, readRecipeWrapperFile, runWrapper } from '@zocalo/wrapper';
import { CliError, oneLine } from '../cli-error';
import { disconnectQuietly } from '../site';
import { startSiteTracing } from '../site-tracing';
import type { PythonCommand } from './python-command';
import { SUPPRESS, createPythonParser, parsePythonArgs, pythonExit } from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

export const pythonWrap: PythonCommand = async (argv, io, context) => {
  const known = knownWrappers(context.search()).map((wrapper) => wrapper.name);
  const parser = createPythonParser({
    prog: 'zocalo.wrap',
    usage: 'zocalo.wrap [options]',
    style: 'argparse',
    io,
  });
  parser.add_argument('-?', { action: 'help', help: SUPPRESS });
  parser.add_argument('--wrap', {
    dest: 'wrapper',
    metavar: 'WRAP',
    choices: known,
    help: `Object to be wrapped (valid choices: ${known.join(', ')})`,
  });
  parser.add_argument('--recipewrapper', {
    dest: 'recipewrapper',
    metavar: 'RW',
    help: 'A serialized recipe wrapper file for downstream communication',
  });
  parser.add_argument('-v', '--verbose', {
    dest: 'verbose',
    action: 'store_true',
    default: false,
    help: 'Show debug level messages',
  });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');
  const wrapper = args.wrapper as string | undefined;
  if (!wrapper) pythonExit('A wrapper object must be specified.');
  const file = args.recipewrapper as string | undefined;
  const site = pythonSite(io, 'zocalo.wrap', args, args.verbose ? 'debug' : 'info');
  const transport = await site.connect();
  const tracing = await startSiteTracing(site, wrapper).catch(async (error: unknown) => {
    await disconnectQuietly(transport, site.logger);
    throw error;
  });
  for (const middleware of tracing.middleware) transport.use(middleware);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => stop.abort(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    let recipeWrapper: RecipeWrapper | undefined;
    try {
      if (file !== undefined) recipeWrapper = readRecipeWrapperFile(file, transport, site.logger);
    } catch (error) {
      // Python's open() or json.load() raising: a traceback and exit 1.
      throw new CliError(oneLine(error), 1, { cause: error });
    }
    site.logger.info(
      { wrap: wrapper, recipewrapper: file },
      `Starting wrapper for ${wrapper} with recipewrapper file ${file ?? 'None'}`,
    );
    const report = await runWrapper({
      wrapper,
      transport,
      recipeWrapper,
      logger: site.logger,
      search: context.search(),
      configuration: site.configuration,
      signal: stop.signal,
    });
    site.logger.info(
      { outcome: report.outcome },
      report.success ? 'successfully finished processing' : 'processing failed',
    );
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await disconnectQuietly(transport, site.logger);
    await tracing.shutdown();
  }
};
