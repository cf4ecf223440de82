/**
 * STOMP header escaping (STOMP 1.1 and 1.2, "Value Encoding"): in every frame but CONNECT and
 * CONNECTED, a backslash, a line feed, a colon and (1.2) a carriage return in a header name or value
 * are sent as `\\`, `\n`, `\c` and `\r`. So no value can end a header line early, start another
 * header, or break the frame. (stompit decodes incoming headers the same way; its own encoder is
 * replaced together with its outgoing frame stream, see frame-writer.ts.)
 */

/** An escaping function for one negotiated STOMP version. */
export type HeaderEncoder = (text: string) => string;

const SPECIAL_12 = /[\\\n\r:]/;
const SPECIAL_11 = /[\\\n:]/;

/** STOMP 1.2: `\` `\n` `\r` `:`. */
export function escapeHeader12(text: string): string {
  if (!SPECIAL_12.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/:/g, '\\c');
}

/** STOMP 1.1: `\` `\n` `:` (1.1 defines no escape for a carriage return). */
export function escapeHeader11(text: string): string {
  if (!SPECIAL_11.test(text)) return text;
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

/** CONNECT and CONNECTED frames, and STOMP 1.0, are not escaped. */
export function noEscaping(text: string): string {
  return text;
}

/** The encoder for a negotiated version; undefined for a version this transport does not speak. */
export function headerEncoder(version: string): HeaderEncoder | undefined {
  switch (version) {
    case '1.2':
      return escapeHeader12;
    case '1.1':
      return escapeHeader11;
    case '1.0':
      return noEscaping;
    default:
      return undefined;
  }
}
