/**
 * Python's format-string syntax (`str.format`, `string.Formatter`), ported from CPython's
 * `MarkupIterator` and `FieldNameIterator` (Objects/stringlib/unicode_format.h) so that recipe
 * strings split exactly as python-workflows splits them: `{{` and `}}` are literal braces, a lone
 * `}` is an error, `{name[key]!r:>10}` is one field.
 */
import { RECIPE_ERROR_CODES, RecipeError } from './errors';

/** A format string could not be parsed; the message is CPython's. */
export class FormatSyntaxError extends RecipeError {
  static override readonly code: string = RECIPE_ERROR_CODES.FormatSyntaxError;
}

export interface FormatField {
  /** The field name as written: `name`, `name[key][0]`, `name.attr`, or empty. */
  readonly name: string;
  /** `r`, `s` or `a` after `!`, if any. */
  readonly conversion: string | undefined;
  /** The format spec after `:`, still to be expanded (it may hold nested fields). */
  readonly spec: string;
  /** The whole field as written, braces included. */
  readonly text: string;
}

/** A piece of a parsed format string: literal text, or literal text followed by a field. */
export interface FormatPiece {
  readonly literal: string;
  readonly field?: FormatField;
}

/** Split a format string into literal text and fields (CPython `MarkupIterator_next`). */
export function parseFormatString(text: string): FormatPiece[] {
  const pieces: FormatPiece[] = [];
  let i = 0;
  while (i < text.length) {
    const start = i;
    let c = '';
    let markup = false;
    while (i < text.length) {
      c = text[i++];
      if (c === '{' || c === '}') {
        markup = true;
        break;
      }
    }
    const atEnd = i >= text.length;
    let length = i - start;
    if (markup && c === '}' && (atEnd || text[i] !== '}')) {
      throw new FormatSyntaxError("Single '}' encountered in format string");
    }
    if (markup && atEnd && c === '{') throw new FormatSyntaxError("Single '{' encountered in format string");
    if (markup) {
      if (text[i] === c) {
        // "{{" or "}}": one literal brace, no field follows
        i++;
        markup = false;
      } else {
        length--;
      }
    }
    const literal = text.slice(start, start + length);
    if (!markup) {
      pieces.push({ literal });
      continue;
    }
    const fieldStart = i - 1;
    const parsed = parseField(text, i);
    i = parsed.end;
    pieces.push({ literal, field: { ...parsed.field, text: text.slice(fieldStart, i) } });
  }
  return pieces;
}

/** CPython `parse_field`: the part after `{`, up to its matching `}`. */
function parseField(text: string, i: number): { field: Omit<FormatField, 'text'>; end: number } {
  const nameStart = i;
  let c = '';
  scan: while (i < text.length) {
    c = text[i++];
    switch (c) {
      case '{':
        throw new FormatSyntaxError("unexpected '{' in field name");
      case '[':
        while (i < text.length && text[i] !== ']') i++;
        continue;
      case '}':
      case ':':
      case '!':
        break scan;
      default:
        continue;
    }
  }
  const name = text.slice(nameStart, i - 1);
  if (c !== '!' && c !== ':') {
    if (c !== '}') throw new FormatSyntaxError("expected '}' before end of string");
    return { field: { name, conversion: undefined, spec: '' }, end: i };
  }
  let conversion: string | undefined;
  if (c === '!') {
    if (i >= text.length) {
      throw new FormatSyntaxError('end of string while looking for conversion specifier');
    }
    conversion = text[i++];
    if (i < text.length) {
      const next = text[i++];
      if (next === '}') return { field: { name, conversion, spec: '' }, end: i };
      if (next !== ':') throw new FormatSyntaxError("expected ':' after conversion specifier");
    }
  }
  const specStart = i;
  let depth = 1;
  while (i < text.length) {
    const d = text[i++];
    if (d === '{') depth++;
    else if (d === '}' && --depth === 0)
      return { field: { name, conversion, spec: text.slice(specStart, i - 1) }, end: i };
  }
  throw new FormatSyntaxError("unmatched '{' in format spec");
}

/** One step after the first part of a field name: `.attr` or `[key]` (digits become a number). */
export type FieldAccess =
  | { readonly attribute: true; readonly name: string }
  | { readonly attribute: false; readonly key: string | number };

/** CPython `formatter_field_name_split`: `name[key].attr` as `name` plus the accesses. */
export function splitFieldName(name: string): { first: string | number; rest: FieldAccess[] } {
  let i = 0;
  while (i < name.length && name[i] !== '.' && name[i] !== '[') i++;
  const firstText = name.slice(0, i);
  const rest: FieldAccess[] = [];
  while (i < name.length) {
    const c = name[i++];
    const start = i;
    let part: string;
    if (c === '.') {
      while (i < name.length && name[i] !== '.' && name[i] !== '[') i++;
      part = name.slice(start, i);
    } else if (c === '[') {
      while (i < name.length && name[i] !== ']') i++;
      if (i >= name.length) throw new FormatSyntaxError("Missing ']' in format string");
      part = name.slice(start, i);
      i++;
    } else {
      throw new FormatSyntaxError("Only '.' or '[' may follow ']' in format field specifier");
    }
    if (part === '') throw new FormatSyntaxError('Empty attribute in format string');
    rest.push(c === '.' ? { attribute: true, name: part } : { attribute: false, key: asIndex(part) });
  }
  return { first: asIndex(firstText), rest };
}

function asIndex(text: string): string | number {
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}
