/** JSON "mangling" of message bodies (wire-format.md, "Bodies"). */
import { InvalidArgumentError } from './errors';

/** Serialise a message object for the wire. Throws a clear error for values JSON cannot carry. */
export function encodeBody(message: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (error) {
    throw new InvalidArgumentError(
      `message cannot be serialised as JSON (${(error as Error).message}); send plain data, or use rawSend`,
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new InvalidArgumentError(
      `message of type ${typeof message} cannot be serialised as JSON; send plain data, or use rawSend`,
    );
  }
  return text;
}

/**
 * Parse a received body. A body that is not valid JSON is returned as the raw string: it is never
 * dropped and never throws in the consumer loop.
 */
export function decodeBody(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The raw body as text, for subscriptions with mangling disabled. */
export function bodyText(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}
