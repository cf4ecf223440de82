/**
 * Python's `repr()` of a JSON value, as `print(list)` and `pprint(dict)` show it: `['a', 'b']`,
 * `{'k': 1, 'x': None, 'y': True}`. Dictionary keys are sorted, as pprint sorts them; unlike pprint,
 * a long value is not wrapped at 80 columns.
 */
function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `${quote}${quote === "'" ? escaped.replace(/'/g, "\\'") : escaped}${quote}`;
}

export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => pythonRepr(item)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, item]) => `${pythonString(key)}: ${pythonRepr(item)}`).join(', ')}}`;
  }
  return pythonString(String(value));
}
