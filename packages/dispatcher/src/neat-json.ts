/**
 * JSON as python-zocalo's Dispatcher writes its logbook: Python's
 * `json.dump(obj, sort_keys=True, indent=2, separators=(",", ": "), default=str)` with its default
 * `ensure_ascii=True`. Keys are sorted as text (so step `"10"` comes before `"2"`, as in Python once
 * the keys are strings), every character beyond ASCII is written as `\uXXXX`, and a value JSON
 * cannot hold is written as its text.
 */

function asciiOnly(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function quote(text: string): string {
  return asciiOnly(JSON.stringify(text));
}

function write(value: unknown, indent: string, step: string): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const inner = indent + step;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => `${inner}${write(item, inner, step) ?? 'null'}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return write((json as () => unknown).call(value), indent, step);
  // Not a plain object (nor a Map): Python's `default=str`. Checked by tag, not prototype, so that
  // objects from another realm (vm contexts, structuredClone under jest) count as plain.
  const tag = Object.prototype.toString.call(value);
  if (tag !== '[object Object]' && !(value instanceof Map)) return quote(String(value));
  const entries =
    value instanceof Map
      ? [...value.entries()].map(([key, item]) => [String(key), item] as const)
      : Object.entries(value as Record<string, unknown>);
  const members = entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, item]) => {
      const text = write(item, inner, step);
      return text === undefined ? [] : [`${inner}${quote(key)}: ${text}`];
    });
  if (members.length === 0) return '{}';
  return `{\n${members.join(',\n')}\n${indent}}`;
}

/** `value` as Python's `json.dumps(value, sort_keys=True, indent=2, separators=(",", ": "), default=str)`. */
export function neatJson(value: unknown): string {
  return write(value, '', '  ') ?? 'null';
}
