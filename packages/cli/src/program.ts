/**
 * The `zocalo` command and its subcommands (commander), and {@link runCli}, which runs one command
 * line and turns every failure into a one-line message and an exit code: 0 done, 1 failed while
 * running (an unreachable broker, a failed service or program), 2 bad input (unknown recipe or
 * service, bad parameter syntax, unknown option).
 */
import { Command, CommanderError } from 'commander';
import type { EntryPointSearch } from '@zocalo/workflows';
import { WORKFLOWS_VERSION, redactCredentials } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
import { addExamples } from './examples';
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

type Register = (program: Command, io: CliIo, search: () => EntryPointSearch) => void;

/**
 * Each command's module, loaded only when it runs: a long-running `zocalo service` then never holds
 * what the other commands bring (the Dispatcher, Schlockmeister, the other broker's client, progress
 * bars, JSON schemas), about 10 MB resident. In the order `zocalo --help` lists them.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  go: async () => (await import('./commands/go')).registerGo,
  pickup: async () => (await import('./commands/pickup')).registerPickup,
  service: async () => (await import('./commands/service')).registerService,
  wrap: async () => (await import('./commands/wrap')).registerWrap,
  shutdown: async () => (await import('./commands/shutdown')).registerShutdown,
  status: async () => (await import('./commands/status')).registerStatus,
  dashboard: async () => (await import('./commands/dashboard')).registerDashboard,
  recipe: async () => (await import('./commands/recipe')).registerRecipe,
  dlq: async () => (await import('./commands/dlq')).registerDlq,
  queue: async () => (await import('./commands/queue')).registerQueue,
  rabbitmq: async () => (await import('./commands/rabbitmq')).registerRabbitmq,
  completion: async () => (await import('./commands/completion')).registerCompletion,
  'transport-options': async () => (await import('./commands/transport-options')).registerTransportOptions,
};

/** The names of the `zocalo` commands. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Commands without the site options: they need no transport to be known. */
const WITHOUT_TRANSPORT: ReadonlySet<string> = new Set(['recipe', 'completion']);

/**
 * The `zocalo` program, with every command, or only `commands` when given (what a command line
 * runs needs only its own). Commands write through `io`; failures are thrown (see {@link runCli}).
 */
export async function createProgram(
  io: CliIo,
  options: CliOptions = {},
  commands: readonly string[] = COMMAND_NAMES,
): Promise<Command> {
  const program = new Command('zocalo')
    .description(
      'Zocalo for TypeScript: send processing requests, run services and wrapped programs, stop them, ' +
        'watch their status, check recipes, and handle dead-lettered messages. Every command takes --help; ' +
        'the broker options: zocalo help transport-options; shell completion: zocalo completion.',
    )
    .version(CLI_VERSION, '-V, --version')
    .helpCommand(true)
    .showSuggestionAfterError(true)
    .exitOverride()
    // Commander's own errors quote what was typed: the same redaction as every other output.
    .configureOutput({ writeOut: io.stdout, writeErr: (text) => io.stderr(redactCredentials(text)) });
  const search = (): EntryPointSearch => ({ cwd: io.cwd, extraRoots: options.installRoots ?? [] });
  // Installed transports' descriptors first: the site options list their names and flags.
  if (commands.some((name) => !WITHOUT_TRANSPORT.has(name))) {
    const { registerInstalledTransports } = await import('./transport-packages');
    for (const warning of await registerInstalledTransports(search()))
      io.stderr(`zocalo: warning: ${warning}\n`);
  }
  const registers = await Promise.all(
    COMMAND_NAMES.filter((name) => commands.includes(name)).map((name) => COMMANDS[name]()),
  );
  for (const register of registers) register(program, io, search);
  addExamples(program);
  return program;
}

/**
 * The command an argument list runs, when its first argument names one; otherwise (no command,
 * `help`, top-level options, a misspelt name) every command is needed to answer.
 */
function commandOf(argv: readonly string[]): string | undefined {
  const first = argv[2];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
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
  const only = commandOf(argv);
  let current = only === undefined ? 'zocalo' : `zocalo ${only}`;
  try {
    const program = await createProgram(io, options, only === undefined ? COMMAND_NAMES : [only]);
    program.hook('preAction', (_program, action) => {
      current = commandPath(action);
    });
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE; // commander said why
    const code = error instanceof CliError ? error.exitCode : EXIT_FAILURE;
    if (!(error instanceof CliError && error.reported)) io.stderr(`${current}: ${oneLine(error)}\n`);
    return code;
  }
}
