/** The error a site configuration file raises when it cannot be used. */
import { ZocaloError } from '@zocalo/workflows';

/** The stable `code` of every error class of this package, by class name (see `ZOCALO_ERROR_CODES`). */
export const CONFIGURATION_ERROR_CODES = Object.freeze({
  ConfigurationError: 'ZOCALO_CONFIGURATION',
} as const);

/** A code of {@link CONFIGURATION_ERROR_CODES}. */
export type ConfigurationErrorCode =
  (typeof CONFIGURATION_ERROR_CODES)[keyof typeof CONFIGURATION_ERROR_CODES];

/** One problem found in a configuration file, with where it is. */
export interface ConfigurationProblem {
  /** The file the problem is in (absolute path), when the configuration came from a file. */
  readonly file?: string;
  /** 1-based line and column of the offending key or value. */
  readonly line?: number;
  readonly column?: number;
  /** Dotted path of the offending key (`stomp-live.port`, `environments.live`). */
  readonly key?: string;
  /** What is wrong, in words. */
  readonly message: string;
}

/** `file:line:column: key: message`, leaving out what is not known. */
export function formatProblem(problem: ConfigurationProblem): string {
  const place = [problem.file, problem.line, problem.column].filter((part) => part !== undefined).join(':');
  const key = problem.key ? `${problem.key}: ` : '';
  return `${place ? `${place}: ` : ''}${key}${problem.message}`;
}

/**
 * A site configuration file is missing, is not valid YAML, breaks the schema, includes itself, or
 * names something it does not define. `file`, `line`, `column` and `key` locate the first problem;
 * `problems` lists every one found.
 */
export class ConfigurationError extends ZocaloError {
  static override readonly code: string = CONFIGURATION_ERROR_CODES.ConfigurationError;

  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly key?: string;
  readonly problems: readonly ConfigurationProblem[];

  constructor(
    problems: ConfigurationProblem | readonly ConfigurationProblem[],
    options?: { cause?: unknown },
  ) {
    const list: readonly ConfigurationProblem[] = Array.isArray(problems)
      ? (problems as readonly ConfigurationProblem[])
      : [problems as ConfigurationProblem];
    const [first] = list;
    const text =
      list.length === 1
        ? `Zocalo configuration: ${formatProblem(first)}`
        : `Zocalo configuration, ${list.length} problems:\n` +
          list.map((problem) => `  ${formatProblem(problem)}`).join('\n');
    super(text, options);
    this.file = first?.file;
    this.line = first?.line;
    this.column = first?.column;
    this.key = first?.key;
    this.problems = list;
  }
}
