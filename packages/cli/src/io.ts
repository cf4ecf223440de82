/** Where a command writes and what it reads of its process, so that tests can run commands in-process. */
export interface CliIo {
  /** Standard output (the command's result: a guid, a table, JSON). */
  readonly stdout: (text: string) => void;
  /** Standard error (messages about the run). */
  readonly stderr: (text: string) => void;
  /** Whether stdout is a terminal (the live status view redraws in place only then). */
  readonly isTTY: boolean;
  /** Whether stderr is a terminal (progress bars are drawn only then; plain lines otherwise). */
  readonly stderrIsTTY?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Standard input's text, for commands run in-process (tests): null is none to read (a terminal);
   * undefined, the process's own.
   */
  readonly stdin?: string | null;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}
