/**
 * A command's failure as the user sees it: one line on stderr (`zocalo <command>: <message>`) and a
 * non-zero exit code — {@link EXIT_USAGE} for bad input (unknown recipe, bad parameter syntax, a
 * file that is not a recipe), {@link EXIT_FAILURE} for what went wrong running it (an unreachable
 * broker, a service that failed).
 */
import { NotARegularFileError, ZocaloError, redactCredentials } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const CLI_ERROR_CODES = Object.freeze({
  CliError: 'ZOCALO_CLI',
  StoredRequestError: 'ZOCALO_STORED_REQUEST',
} as const);

/** A code of {@link CLI_ERROR_CODES}. */
export type CliErrorCode = (typeof CLI_ERROR_CODES)[keyof typeof CLI_ERROR_CODES];

/** Bad input: the command was not run. */
export const EXIT_USAGE = 2;
/** The command ran and failed. */
export const EXIT_FAILURE = 1;

export class CliError extends ZocaloError {
  static override readonly code: string = CLI_ERROR_CODES.CliError;

  /** The command has already said why on stderr: `runCli` prints nothing more, and exits `exitCode`. */
  readonly reported: boolean;

  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    options?: { cause?: unknown; reported?: boolean },
  ) {
    super(message, options);
    this.reported = options?.reported === true;
  }
}

/**
 * Why a file could not be read, for `cannot read <file>: <why>`: its errno code (ENOENT, EACCES), or
 * what the path is when it is not a regular file (see `readRegularFile`).
 */
export function readProblem(error: unknown): string {
  if (error instanceof NotARegularFileError) return error.description;
  // Our errors' codes (ZOCALO_...) name a class, not the problem: their message says it.
  if (error instanceof ZocaloError) return oneLine(error);
  return (error as NodeJS.ErrnoException).code ?? oneLine(error);
}

/** An error's message on one line, with any credentials in it redacted (it goes to stderr). */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redactCredentials(text.replace(/\s*\n\s*/g, ' ').trim());
}
