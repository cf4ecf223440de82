/**
 * python-zocalo's command names (`zocalo.go`, `zocalo.service`, …) with python-zocalo 1.6's and
 * python-workflows 3.5's arguments exactly, each an executable of its own (`src/bin/`). They are a
 * second face on the same library code as the `zocalo <command>` face: where the two differ (Python's
 * `-p` is `--reprocessing`, ours is a parameter), each keeps its own design.
 *
 * {@link PYTHON_COMMANDS} loads each command's module only when it runs; {@link runPythonCommand}
 * runs one and turns the way it ended into an exit code, as Python's would: 0 done, 1 failed (or
 * `sys.exit("message")`), 2 a bad command line.
 */
import type { EntryPointSearch } from '@zocalo/workflows';
import { redactCredentials } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, oneLine } from '../cli-error';
import type { CliIo } from '../io';
import { processIo } from '../io';
import type { CliOptions } from '../program';
import { PythonExit } from './python-parser';

/** What a Python command gets besides its arguments. */
export interface PythonCommandContext {
  /** Where installed services, wrappers and plugins are looked for. */
  readonly search: () => EntryPointSearch;
}

/**
 * One Python command: its arguments (without node and the script) in, its exit code out (undefined
 * is 0). It writes through `io`, ends early by throwing `PythonExit`, fails by throwing.
 */
export type PythonCommand = (
  argv: readonly string[],
  io: CliIo,
  context: PythonCommandContext,
) => Promise<number | undefined>;

/** Every Python command name, and its module. */
export const PYTHON_COMMANDS: Readonly<Record<string, () => Promise<PythonCommand>>> = {
  'zocalo.shutdown': async () => (await import('./shutdown')).pythonShutdown,
  'zocalo.wrap': async () => (await import('./wrap')).pythonWrap,
  'zocalo.go': async () => (await import('./go')).pythonGo,
  'zocalo.service': async () => (await import('./service')).pythonService,
  'zocalo.pickup': async () => (await import('./pickup')).pythonPickup,
  'zocalo.dlq_check': async () => (await import('./dlq')).pythonDlqCheck,
  'zocalo.dlq_purge': async () => (await import('./dlq')).pythonDlqPurge,
  'zocalo.dlq_reinject': async () => (await import('./dlq')).pythonDlqReinject,
  'zocalo.queue_drain': async () => (await import('./queue-drain')).pythonQueueDrain,
  'zocalo.configure_rabbitmq': async () => (await import('./configure-rabbitmq')).pythonConfigureRabbitmq,
};

/** The Python command names this package installs. */
export const PYTHON_COMMAND_NAMES: readonly string[] = Object.keys(PYTHON_COMMANDS);

/** Run one Python command line (arguments only) and return its exit code. Never throws. */
export async function runPythonCommand(
  name: string,
  argv: readonly string[],
  io: CliIo = processIo(),
  options: CliOptions = {},
): Promise<number> {
  const load = Object.hasOwn(PYTHON_COMMANDS, name) ? PYTHON_COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(
      `${name}: not a python-zocalo command this package provides (${PYTHON_COMMAND_NAMES.join(', ')})\n`,
    );
    return EXIT_FAILURE;
  }
  const search = (): EntryPointSearch => ({ cwd: io.cwd, extraRoots: options.installRoots ?? [] });
  try {
    const command = await load();
    return (await command(argv, io, { search })) ?? 0;
  } catch (error) {
    if (error instanceof PythonExit) {
      if (error.message) io.stderr(redactCredentials(error.message));
      return error.status;
    }
    io.stderr(`${name}: ${oneLine(error)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
  }
}
