/**
 * Argument parsing for python-zocalo's command names (`zocalo.go`, `zocalo.service`, …), with the
 * parser Python itself uses: `argparse` on npm is a line-by-line port of CPython's argparse, so
 * abbreviated long options (`--recip` for `--recipe`), clustered short flags (`-vv`), `-rNAME`,
 * `--opt=value`, `--`, repeated options and the exit code 2 with `usage:` on a bad command line all
 * behave as they do in Python. A hand-written parser would drift from that; commander (the `zocalo`
 * face's parser) deliberately differs (no abbreviations, its own errors).
 *
 * Several python-zocalo tools use the older optparse. Its command lines are a subset of argparse's,
 * but positionals may come anywhere (`zocalo.go 1234 -r x`): {@link parsePythonArgs} parses those
 * intermixed, and errors start with `Usage:` as optparse writes them. The messages themselves are
 * argparse's (`unrecognized arguments: -x` where optparse says `no such option: -x`).
 */
import type { ArgumentParserOptions, Namespace, Writable } from 'argparse';
import { ArgumentParser, SUPPRESS } from 'argparse';
import type { CliIo } from '../io';

/** Which Python parser a command used: its errors and positional handling follow it. */
export type PythonParserStyle = 'optparse' | 'argparse';

export interface PythonParserOptions {
  /** The command's name, as Python's `prog`: `zocalo.go`. */
  readonly prog: string;
  readonly style: PythonParserStyle;
  /** Python's usage line without the `usage: ` prefix (optparse commands set one). */
  readonly usage?: string;
  readonly description?: string;
  readonly epilog?: string;
  /** Adds `--version` printing this (optparse's `version=`). */
  readonly version?: string;
  /** Python's `-?` help alias (optparse tools add it by hand). */
  readonly questionMarkHelp?: boolean;
  readonly io: CliIo;
}

/**
 * How a Python command ended without finishing its work: `--help` (0), a bad command line (2), or
 * `sys.exit("message")` (1, the message on stderr). Not an error of ours: {@link runPythonCommand}
 * turns it into the exit code.
 */
export class PythonExit extends Error {
  constructor(
    readonly status: number,
    message = '',
  ) {
    super(message);
    this.name = 'PythonExit';
  }
}

/** Python's `sys.exit(message)`: the message on stderr, exit code 1. */
export function pythonExit(message: string): never {
  throw new PythonExit(1, message.endsWith('\n') ? message : `${message}\n`);
}

/** Stands in for process.stdout in argparse's calls, so that output goes through `io`. */
const STDOUT: Writable = { write: () => undefined };

/** An ArgumentParser that writes through a command's `io` and throws {@link PythonExit} instead of exiting. */
class IoArgumentParser extends ArgumentParser {
  #io: CliIo;
  #style: PythonParserStyle;

  constructor(options: ArgumentParserOptions, io: CliIo, style: PythonParserStyle) {
    super(options);
    this.#io = io;
    this.#style = style;
  }

  override print_usage(file?: Writable): void {
    this._print_message(this.format_usage(), file ?? STDOUT);
  }

  override print_help(file?: Writable): void {
    this._print_message(this.format_help(), file ?? STDOUT);
  }

  // argparse passes process.stdout for help and version, anything else (or nothing) for errors.
  override _print_message(message: string, file?: Writable): void {
    if (!message) return;
    if (file === STDOUT || file === process.stdout) this.#io.stdout(message);
    else this.#io.stderr(message);
  }

  override exit(status = 0, message?: string): never {
    throw new PythonExit(status, message ?? '');
  }

  override error(message: string): never {
    const usage = this.format_usage();
    // optparse: "Usage: prog [options]\n\nprog: error: …"; argparse: "usage: prog …\nprog: error: …".
    const head = this.#style === 'optparse' ? `${usage.replace(/^usage: /, 'Usage: ')}\n` : usage;
    throw new PythonExit(2, `${head}${this.prog}: error: ${message}\n`);
  }
}

declare module 'argparse' {
  interface ArgumentParser {
    _print_message(message: string, file?: Writable): void;
  }
}

/** A parser for one Python command. Add its options with `add_argument`, as in Python. */
export function createPythonParser(options: PythonParserOptions): ArgumentParser {
  const parser = new IoArgumentParser(
    {
      prog: options.prog,
      usage: options.usage,
      description: options.description,
      epilog: options.epilog,
      color: false,
      // Errors become PythonExit through error(); argparse must not print and exit itself.
      exit_on_error: true,
    },
    options.io,
    options.style,
  );
  if (options.questionMarkHelp) parser.add_argument('-?', { action: 'help', help: SUPPRESS });
  if (options.version !== undefined)
    parser.add_argument('--version', { action: 'version', version: options.version });
  return parser;
}

/**
 * Parse a command line (the arguments only, without node and the script). optparse commands collect
 * positionals from anywhere on the line into `dest` (Python's `args`), as optparse does.
 */
export function parsePythonArgs(
  parser: ArgumentParser,
  argv: readonly string[],
  style: PythonParserStyle,
): Namespace {
  return style === 'optparse' ? parser.parse_intermixed_args([...argv]) : parser.parse_args([...argv]);
}

/** What each Python command's help ends with: why its options may look odd. */
export function PYTHON_FACE_EPILOG(prog: string, face: string): string {
  return `${prog} takes python-zocalo's arguments as Python has them, even where they are odd; \`${face}\` is this package's own face of the same command.`;
}

export { SUPPRESS };
