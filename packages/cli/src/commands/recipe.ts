/**
 * `zocalo recipe validate <files...>` checks recipe files (python-workflows' rules and messages, then
 * ours; `--python` for Python's only), and `zocalo recipe graph <file>` draws one as Mermaid or DOT.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { Recipe, RecipeValidationError, toSvg } from '@zocalo/recipes';
import { readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine, readProblem } from '../cli-error';
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
        'without a queue or topic), reporting every problem of every file, a JSON syntax error as ' +
        'file:line:column. Exits 1 if any file is invalid, 2 if one cannot be read.',
    )
    .argument('<files...>', 'recipe files (JSON)')
    .option('--python', "python-workflows' rules only, in its words")
    .option('-p, --parameter <key=value>', 'apply these parameters first (repeatable)', collect)
    .action((files: string[], options: { python?: boolean; parameter?: string[] }) => {
      const parameters = parseParameters(options.parameter ?? []);
      let invalid = 0;
      let unreadable = 0;
      for (const file of files) {
        let text: string;
        try {
          text = readRegularFile(file);
        } catch (error) {
          // Reported, and the other files still checked.
          unreadable++;
          io.stderr(`zocalo recipe validate: cannot read ${file}: ${readProblem(error)}\n`);
          continue;
        }
        const problems: RecipeValidationError[] = [];
        let loaded: Recipe | undefined;
        try {
          loaded = new Recipe(text);
          if (options.parameter) loaded = loaded.applyParameters(parameters);
        } catch (error) {
          if (!(error instanceof RecipeValidationError)) throw error;
          problems.push(error);
        }
        if (loaded !== undefined) {
          problems.push(
            ...loaded.problems({ level: options.python ? 'python' : 'full', explain: !options.python }),
          );
        }
        if (problems.length === 0) {
          const steps = loaded?.stepNumbers.length ?? 0;
          io.stdout(`${file}: valid (${steps} step${steps === 1 ? '' : 's'})\n`);
          continue;
        }
        invalid++;
        for (const problem of problems) {
          const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`;
          io.stdout(`${where}: ${oneLine(problem)}\n`);
        }
      }
      if (invalid > 0) {
        io.stderr(
          `zocalo recipe validate: ${invalid} of ${files.length} recipe file${files.length === 1 ? ' is' : 's are'} invalid\n`,
        );
      }
      // Said above, file by file: exit 2 for a file that cannot be read (a usage error), 1 for invalid content.
      if (unreadable > 0) throw new CliError('unreadable recipe files', EXIT_USAGE, { reported: true });
      if (invalid > 0) throw new CliError('invalid recipe files', EXIT_FAILURE, { reported: true });
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
