/**
 * `zocalo recipe validate <files...>` checks recipe files (python-workflows' rules and messages, then
 * ours; `--python` for Python's only), and `zocalo recipe graph <file>` draws one as Mermaid or DOT.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { Recipe, toSvg } from '@zocalo/recipes';
import { readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, oneLine, readProblem } from '../cli-error';
import type { CliIo } from '../io';
import { collect, parseParameters } from '../parameters';
import { toDot, toMermaid } from '../recipe-graph';

function readRecipe(file: string): Recipe {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${readProblem(error)}`);
  }
  try {
    return new Recipe(text);
  } catch (error) {
    throw new CliError(`${file}: ${oneLine(error)}`, undefined, { cause: error });
  }
}

export function registerRecipe(program: Command, io: CliIo): void {
  const recipe = program
    .command('recipe')
    .summary('check recipe files and draw them')
    .description('Work with recipe files: validate them, or draw one as a graph.');

  recipe
    .command('validate')
    .description(
      "Check recipe files with python-workflows' rules (its exact messages) and then ours (schema, steps " +
        'without a queue or topic). Exits 1 if any file is invalid.',
    )
    .argument('<files...>', 'recipe files (JSON)')
    .option('--python', "python-workflows' rules only")
    .option('-p, --parameter <key=value>', 'apply these parameters first (repeatable)', collect)
    .action((files: string[], options: { python?: boolean; parameter?: string[] }) => {
      const parameters = parseParameters(options.parameter ?? []);
      const invalid: string[] = [];
      for (const file of files) {
        let loaded = readRecipe(file);
        try {
          if (options.parameter) loaded = loaded.applyParameters(parameters);
          loaded.validate({ level: options.python ? 'python' : 'full' });
          io.stdout(`${file}: valid (${loaded.stepNumbers.length} steps)\n`);
        } catch (error) {
          invalid.push(file);
          io.stdout(`${file}: ${oneLine(error)}\n`);
        }
      }
      if (invalid.length > 0) {
        throw new CliError(
          `${invalid.length} of ${files.length} recipe file${files.length === 1 ? ' is' : 's are'} invalid`,
          EXIT_FAILURE,
        );
      }
    });

  recipe
    .command('graph')
    .description(
      'Draw a recipe: its steps, their queues and topics, the output links (named outputs labelled) and error links.',
    )
    .argument('<file>', 'recipe file (JSON)')
    .addOption(
      new Option('--format <format>', 'graph language').choices(['mermaid', 'dot', 'svg']).default('mermaid'),
    )
    .option('-p, --parameter <key=value>', 'apply these parameters first (repeatable)', collect)
    .action((file: string, options: { format: 'mermaid' | 'dot' | 'svg'; parameter?: string[] }) => {
      let loaded = readRecipe(file);
      if (options.parameter) loaded = loaded.applyParameters(parseParameters(options.parameter));
      try {
        loaded.validate({ level: 'python' });
      } catch (error) {
        throw new CliError(`${file}: ${oneLine(error)}`, undefined, { cause: error });
      }
      io.stdout(
        options.format === 'svg'
          ? toSvg(loaded)
          : options.format === 'dot'
            ? toDot(loaded)
            : toMermaid(loaded),
      );
    });
}
