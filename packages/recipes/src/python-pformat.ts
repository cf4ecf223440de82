/**
 * Python's `pprint.pformat(value)` of JSON data (width 80, indent 1, dict keys sorted), which
 * python-zocalo's Mailer puts into mail as `{pprint_payload}`: a value whose `repr` fits on the line is
 * written as that `repr` (keys sorted); a longer dict or list gets one item per line, and a long string
 * is split at spaces and line breaks into adjacent literals — exactly as CPython's `PrettyPrinter`
 * lays them out, so that a mail reads the same whichever Mailer sent it.
 *
 * Lengths count code points, as Python's `len()`. JSON numbers are Python's as `json.loads` reads them,
 * except that a float with a whole value (`2.0`, `1e22`) has become a JavaScript integer and prints as
 * one (`2`).
 */
import { isPlainObject } from './json';
import { compareCodePoints, pyRepr, pyStringRepr } from './python-repr';

const WIDTH = 80;

/** Python's `len()`: code points, not UTF-16 units. */
function length(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function sortedEntries(value: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(value).sort(([a], [b]) => compareCodePoints(a, b));
}

/** `pprint.saferepr(value)`: `repr`, with dict keys sorted at every level. */
export function safeRepr(value: unknown): string {
  return pyRepr(value, { sortKeys: true });
}

/** `PrettyPrinter._format`: the repr if it fits in what is left of the line, else laid out. */
function format(value: unknown, out: string[], indent: number, allowance: number, level: number): void {
  const rep = safeRepr(value);
  if (length(rep) > WIDTH - indent - allowance) {
    if (Array.isArray(value)) return formatList(value, out, indent, allowance, level + 1);
    if (isPlainObject(value)) return formatDict(value, out, indent, allowance, level + 1);
    if (typeof value === 'string') return formatString(value, out, indent, allowance, level + 1);
  }
  out.push(rep);
}

function formatDict(
  value: Record<string, unknown>,
  out: string[],
  indent: number,
  allowance: number,
  level: number,
): void {
  out.push('{');
  const items = sortedEntries(value);
  const inner = indent + 1;
  items.forEach(([key, item], index) => {
    const last = index === items.length - 1;
    const keyRep = pyStringRepr(key);
    out.push(keyRep, ': ');
    // The closing brace counts against the last item only.
    format(item, out, inner + length(keyRep) + 2, last ? allowance + 1 : 1, level);
    if (!last) out.push(`,\n${' '.repeat(inner)}`);
  });
  out.push('}');
}

function formatList(value: unknown[], out: string[], indent: number, allowance: number, level: number): void {
  out.push('[');
  const inner = indent + 1;
  value.forEach((item, index) => {
    const last = index === value.length - 1;
    if (index > 0) out.push(`,\n${' '.repeat(inner)}`);
    format(item, out, inner, last ? allowance + 1 : 1, level);
  });
  out.push(']');
}

/** Python's `str.splitlines(keepends=True)`. */
function splitLines(text: string): string[] {
  // Python's line boundaries include the separators \x1c-\x1e.
  // eslint-disable-next-line no-control-regex
  const lines = /[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]|$)/g;
  return text.match(lines)!.filter((line) => line !== '');
}

/** `PrettyPrinter._pprint_str`: a long string as adjacent literals, split at line ends and spaces. */
function formatString(value: string, out: string[], indent: number, allowance: number, level: number): void {
  const chunks: string[] = [];
  const lines = splitLines(value);
  // Only the outermost string is wrapped in parentheses, which take a column each side.
  const topLevel = level === 1;
  const lineIndent = topLevel ? indent + 1 : indent;
  const lineAllowance = topLevel ? allowance + 1 : allowance;
  const maxWidth = WIDTH - lineIndent;
  lines.forEach((line, lineIndex) => {
    const lastLine = lineIndex === lines.length - 1;
    const rep = pyStringRepr(line);
    if (length(rep) <= (lastLine ? maxWidth - lineAllowance : maxWidth)) {
      chunks.push(rep);
      return;
    }
    // Alternating runs of non-space then space, as `re.findall(r'\S*\s*', line)` without the empty end.
    const parts = line.match(/\S+\s*|\s+/gu) ?? [line];
    let current = '';
    parts.forEach((part, partIndex) => {
      const candidate = current + part;
      const limit = partIndex === parts.length - 1 && lastLine ? maxWidth - lineAllowance : maxWidth;
      if (length(pyStringRepr(candidate)) > limit) {
        if (current) chunks.push(pyStringRepr(current));
        current = part;
      } else current = candidate;
    });
    if (current) chunks.push(pyStringRepr(current));
  });
  if (chunks.length <= 1) {
    out.push(pyStringRepr(value));
    return;
  }
  if (topLevel) out.push('(');
  out.push(chunks.join(`\n${' '.repeat(lineIndent)}`));
  if (topLevel) out.push(')');
}

/** `pprint.pformat(value)` of JSON data, as Python writes it. */
export function pformat(value: unknown): string {
  const out: string[] = [];
  format(value, out, 0, 0, 0);
  return out.join('');
}
