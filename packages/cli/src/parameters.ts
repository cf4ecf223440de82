/**
 * Recipe parameters from the command line, as `zocalo.go -s KEY=VALUE` reads them: the text up to
 * the first `=` is the name, the rest the value (a string, as Python sends it). Ours also reads
 * `KEY:=JSON` for a value of another type (`-p frames:=[1,2,3]`, `-p threshold:=50`).
 */
import { CliError } from './cli-error';

/** One `KEY=VALUE` or `KEY:=JSON`. Throws {@link CliError} with python-zocalo's message otherwise. */
export function parseParameter(text: string): [string, unknown] {
  const typed = /^([^=:]+):=(.*)$/s.exec(text);
  if (typed) {
    try {
      return [typed[1], JSON.parse(typed[2]) as unknown];
    } catch {
      throw new CliError(`Invalid variable specification '${text}': the value after := must be JSON`);
    }
  }
  const at = text.indexOf('=');
  if (at <= 0) throw new CliError(`Invalid variable specification '${text}': expected KEY=VALUE`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** Every `KEY=VALUE` in order; a later one replaces an earlier one of the same name. */
export function parseParameters(texts: readonly string[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const text of texts) {
    const [key, value] = parseParameter(text);
    Object.defineProperty(parameters, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return parameters;
}

/** commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
