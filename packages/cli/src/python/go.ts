/**
 * `zocalo.go [options] dcid`: python-zocalo's `zocalo.cli.go` (argparse). A data collection ID (or
 * `-p` a reprocessing ID, or `-n` none) with recipes (`-r`) and/or a recipe file (`-f`), parameters as
 * `-s key=value` (text, as Python sends them), sent to `processing_recipe` with the headers
 * `zocalo.go.user` and `zocalo.go.host`, or stored in `zocalo.go.fallback_location` (`--drop`, or
 * when the send fails). Unlike `zocalo go`, no recipe ID is chosen here: the Dispatcher does.
 */
import { PROCESSING_QUEUE } from '@zocalo/dispatcher';
import { pformat, pyRepr } from '@zocalo/recipes';
import type { Transport } from '@zocalo/workflows';
import { oneLine } from '../cli-error';
import { goHeaders, pythonList, readCustomRecipe, storeRequest } from '../commands/go';
import { disconnectQuietly } from '../site';
import type { PythonCommand } from './python-command';
import {
  PYTHON_FACE_EPILOG,
  SUPPRESS,
  createPythonParser,
  parsePythonArgs,
  pythonExit,
} from './python-parser';
import { addPythonSiteOptions, pythonSite } from './python-site';

/** Python's `int(text)`, or undefined where it raises ValueError. */
export function pythonInt(text: string): number | undefined {
  return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(text) ? Number(text.replace(/_/g, '')) : undefined;
}

/** `int(text)` and `assert > 0` as zocalo.go does them: the traceback's last line on failure. */
function positiveId(text: string, what: string): number {
  const value = pythonInt(text);
  if (value === undefined) pythonExit(`ValueError: invalid literal for int() with base 10: ${pyRepr(text)}`);
  if (!(value > 0)) pythonExit(`AssertionError: Invalid ${what} given.`);
  return value;
}

export const pythonGo: PythonCommand = async (argv, io) => {
  const parser = createPythonParser({
    prog: 'zocalo.go',
    style: 'argparse',
    usage: 'zocalo.go [options] dcid',
    description:
      'Triggers processing of a standard recipe, of an arbitrary recipe from a local file, or of an entry in the ISPyB processing table.',
    epilog: PYTHON_FACE_EPILOG('zocalo.go', 'zocalo go'),
    questionMarkHelp: true,
    io,
  });
  parser.add_argument('-r', '--recipe', {
    dest: 'recipe',
    metavar: 'RCP',
    action: 'append',
    default: [],
    help: 'Name of a recipe to run. Can be used multiple times. Recipe names correspond to filenames (excluding .json) in the recipe directory',
  });
  parser.add_argument('-a', '--autoprocscalingid', {
    dest: 'autoprocscalingid',
    metavar: 'APSID',
    default: undefined,
    help: 'An auto processing scaling ID for downstream processing recipes.',
  });
  parser.add_argument('-f', '--file', {
    dest: 'recipefile',
    metavar: 'FILE',
    default: '',
    help: 'Run recipe contained in this file.',
  });
  parser.add_argument('-n', '--no-dcid', {
    dest: 'nodcid',
    action: 'store_true',
    help: 'Trigger recipe without specifying a data collection ID',
  });
  parser.add_argument('--drop', { dest: 'dropfile', action: 'store_true', help: SUPPRESS });
  parser.add_argument('-p', '--reprocessing', {
    dest: 'reprocess',
    action: 'store_true',
    help: 'Means a reprocessing ID is given rather than a data collection ID',
  });
  parser.add_argument('-s', '--set', {
    dest: 'parameters',
    action: 'append',
    default: [],
    metavar: 'KEY=VALUE',
    help: 'Set an additional variable for recipe evaluation',
  });
  parser.add_argument('-v', '--verbose', {
    dest: 'verbose',
    action: 'store_true',
    help: 'Show raw message before sending',
  });
  parser.add_argument('--dry-run', {
    dest: 'dryrun',
    action: 'store_true',
    help: "Verify that everything is in place that the message could be sent, but don't actually send the message",
  });
  // python-zocalo before 0.10 had --test for the test namespace; kept as `-e test`.
  parser.add_argument('--test', { dest: 'test', action: 'store_true', help: SUPPRESS });
  parser.add_argument('dcid', { nargs: '*', help: 'Data collection ID of required processing' });
  addPythonSiteOptions(parser, io, { transportArgument: true });
  const args = parsePythonArgs(parser, argv, 'argparse');
  if (args.test) (args.environment as string[]).push('test');

  const recipes = args.recipe as string[];
  const recipeFile = args.recipefile as string;
  const parameters: Record<string, unknown> = {};
  const message: Record<string, unknown> = { recipes, parameters };
  for (const pair of args.parameters as string[]) {
    if (!pair.includes('=')) pythonExit(`Invalid variable specification '${pair}'`);
    const at = pair.indexOf('=');
    parameters[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (recipes.length === 0 && !recipeFile && !args.nodcid && !args.reprocess)
    pythonExit('No recipes specified.');
  if (recipeFile) {
    try {
      message.custom_recipe = readCustomRecipe(recipeFile).toJSON();
    } catch (error) {
      pythonExit(oneLine(error));
    }
  }

  const site = pythonSite(io, 'zocalo.go', args);
  const fallback = site.configuration.storage['zocalo.go.fallback_location'];
  const fallbackDir = typeof fallback === 'string' && fallback !== '' ? fallback : undefined;
  const print = (line = ''): void => io.stdout(`${line}\n`);
  const sendOrDefer = async (): Promise<void> => {
    const headers = goHeaders();
    if (args.verbose) print(pformat(message));
    // As Python: --drop without a fallback location sends.
    if (fallbackDir && args.dropfile) return print(storeRequest(fallbackDir, headers, message, args.dryrun));
    if (args.dryrun) return print('Not sending message (running with --dry-run)');
    let transport: Transport | undefined;
    try {
      transport = await site.connect();
      await transport.send(PROCESSING_QUEUE, message, { headers });
    } catch (error) {
      if (!fallbackDir) throw error;
      print('\n\n');
      io.stderr(`${oneLine(error)}\n`);
      print('\n\nAttempting to store message in fallback location');
      print(storeRequest(fallbackDir, headers, message, args.dryrun));
    } finally {
      await disconnectQuietly(transport, site.logger);
    }
  };

  if (args.nodcid) {
    if (recipes.length > 0) print(`Running recipes ${pythonList(recipes)}`);
    if (recipeFile) print(`Running recipe from file ${recipeFile}`);
    print('without specified data collection.');
    await sendOrDefer();
    print('\nSubmitted.');
    return 0;
  }
  const ids = args.dcid as string[];
  if (ids.length > 1) pythonExit('Only a single data collection ID can be specified.');
  if (ids.length === 0) pythonExit('You must either specify a data collection ID or option --no-dcid.');
  const dcid = positiveId(ids[0], 'data collection ID');

  if (args.reprocess) {
    if (recipes.length > 0) print(`Running recipes ${pythonList(recipes)}`);
    parameters.ispyb_process = dcid;
    await sendOrDefer();
    print(`\nReprocessing task submitted for ID ${dcid}.`);
    return 0;
  }
  if (recipes.length > 0) print(`Running recipes ${pythonList(recipes)}`);
  if (recipeFile) print(`Running recipe from file ${recipeFile}`);
  if (recipes.length === 0 && message.custom_recipe === undefined) pythonExit('No recipes specified.');
  print(`for data collection ${dcid}`);
  parameters.ispyb_dcid = dcid;
  if (args.autoprocscalingid) {
    parameters.ispyb_autoprocscalingid = positiveId(
      args.autoprocscalingid as string,
      'auto processing scaling ID',
    );
  }
  await sendOrDefer();
  print('\nSubmitted.');
  return 0;
};
