/**
 * The `zocalo` command and its subcommands (commander), and {@link runCli}, which runs one command
 * line and turns every failure into a one-line message and an exit code: 0 done, 1 failed while
 * running (an unreachable broker, a failed service or program), 2 bad input (unknown recipe or
 * service, bad parameter syntax, unknown option).
 */
import { Command, CommanderError } from 'commander';
import { WORKFLOWS_VERSION } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
import { registerDlq } from './commands/dlq';
import { registerGo } from './commands/go';
import { registerPickup } from './commands/pickup';
import { registerQueue } from './commands/queue';
import { registerRabbitmq } from './commands/rabbitmq';
import { registerRecipe } from './commands/recipe';
import { registerService } from './commands/service';
import { registerShutdown } from './commands/shutdown';
import { registerStatus } from './commands/status';
import { registerWrap } from './commands/wrap';
import type { EntryPointSearch } from './entry-points';
import type { CliIo } from './io';
import { processIo } from './io';

/** The version of the command line (the version of @zocalo/workflows it runs on). */
export const CLI_VERSION = WORKFLOWS_VERSION;

export interface CliOptions {
  /**
   * Folders whose `node_modules` (and those above) hold installed services, besides the working
   * directory's: the command line's own installation.
   */
  readonly installRoots?: readonly string[];
}

/** The `zocalo` program. Commands write through `io`; failures are thrown (see {@link runCli}). */
export function createProgram(io: CliIo, options: CliOptions = {}): Command {
  const program = new Command('zocalo')
    .description(
      'Zocalo for TypeScript: send processing requests, run services and wrapped programs, stop them, ' +
        'watch their status, check recipes, and handle dead-lettered messages. Every command takes --help.',
    )
    .version(CLI_VERSION, '-V, --version')
    .helpCommand(true)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const search = (): EntryPointSearch => ({ cwd: io.cwd, extraRoots: options.installRoots ?? [] });
  registerGo(program, io);
  registerPickup(program, io);
  registerService(program, io, search);
  registerWrap(program, io);
  registerShutdown(program, io);
  registerStatus(program, io);
  registerRecipe(program, io);
  registerDlq(program, io);
  registerQueue(program, io);
  registerRabbitmq(program, io);
  return program;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent)
    names.unshift(current.name());
  return names.join(' ');
}

/**
 * Run one command line (`argv` as `process.argv`: node, script, arguments) and return its exit
 * code. Never throws: an error is printed as one line, `zocalo <command>: <message>`, on stderr.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  options: CliOptions = {},
): Promise<number> {
  const program = createProgram(io, options);
  let current = 'zocalo';
  program.hook('preAction', (_program, action) => {
    current = commandPath(action);
  });
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE; // commander said why
    const code = error instanceof CliError ? error.exitCode : EXIT_FAILURE;
    io.stderr(`${current}: ${oneLine(error)}\n`);
    return code;
  }
}
