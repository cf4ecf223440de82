/**
 * What python-zocalo's Mailer makes of one message, before anything is sent: the mail, or the reason
 * it rejects the message (its log warning, word for word). Pure, so that each rule can be tested alone.
 *
 * Where the message comes from:
 * - a recipe message: the step's `parameters`; the payload is the message (`{payload}`);
 * - a plain message (no recipe): `{ "parameters": {...}, "content": ... }`, both required, the whole
 *   message being the payload. A `content` parameter wins over the message's `content`.
 *
 * The parameters, as Python reads them:
 * - `recipients` (else `recipient`): an address, a list of them, or a dict that selects a group:
 *   `{"select": "<group>", "<group>": [...], "all": [...]}` — the selected group and `all`, without
 *   duplicates and sorted;
 * - `from`: the sender; default the `smtp` block's `from`;
 * - `subject`: default `mail notification via zocalo`;
 * - `content`: text, or a list of texts joined with nothing between. `{payload}` becomes the payload as
 *   Python prints it (`{'a': 1}`), `{payload[key]}` one of its values, `{pprint_payload}` the payload
 *   pretty-printed (`pprint.pformat`; a list of texts is joined with line breaks instead); any other
 *   `{name}` stays as written. Then each line ends with a line break, as Python's `set_content` does.
 *
 * Where Python's Mailer would raise before acknowledging the message (a `content` list holding a
 * number, a `content` that is not a valid format string, a `from` nowhere to be found, parameters that
 * are not a dict), it would die and leave the message to be redelivered until poison protection took
 * it; here the message is rejected (dead-lettered) at once with the reason. A dict of recipients
 * without `all` is taken as having none (Python stops with a NameError there).
 */
import { applyParametersTo, compareCodePoints, pyRepr, pyStr } from '@zocalo/recipes';
import { pformat } from '@zocalo/recipes';

/** Python's default subject. */
export const DEFAULT_SUBJECT = 'mail notification via zocalo';

/** One mail, as it will be sent. */
export interface MailNotification {
  readonly from: string;
  /** The recipients, each as Python's `str()` makes it. */
  readonly to: readonly string[];
  readonly subject: string;
  /** The text, each line ending in a line break. */
  readonly text: string;
  /** The subject and recipients as Python's log line shows them: `'Subject' to ['a@example.com']`. */
  readonly summary: string;
}

/**
 * What to do with a message: send the mail; reject the message (Python's nack, with its warning); or
 * acknowledge it and log that delivery failed, where Python fails only after its acknowledgement
 * (a subject or sender that is not text).
 */
export type MailDecision =
  | { readonly kind: 'send'; readonly mail: MailNotification }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'undeliverable'; readonly summary: string; readonly reason: string };

/** Python's truth value of JSON data. */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (typeof value === 'bigint') return value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function own(value: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/** Python's `dict.get(key, fallback)`: the value when the key is there (even `null`), else the fallback. */
function get(value: Record<string, unknown>, key: string, fallback?: unknown): unknown {
  return own(value, key) ? value[key] : fallback;
}

/** The Mailer's `listify`: a list as it is, anything else as a list of one. */
function listify(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Python's `str.splitlines()`. */
function splitLines(text: string): string[] {
  // Python's line boundaries include the separators \x1c-\x1e.
  // eslint-disable-next-line no-control-regex
  const lines = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return text === '' ? [] : lines;
}

/**
 * The text as Python's `EmailMessage.set_content` stores it: each line ending with a line break.
 * (The mail goes out with CRLF line ends either way.)
 */
export function mailText(content: string): string {
  return splitLines(content)
    .map((line) => `${line}\n`)
    .join('');
}

/** Python's `sorted(set(items))` of strings: unique, by code point. */
function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items)].sort(compareCodePoints);
}

function recipientsOf(parameters: Record<string, unknown>): { recipients: unknown[] } | { reason: string } {
  const given = get(parameters, 'recipients', parameters.recipient);
  if (!pythonTruthy(given)) return { reason: 'No recipients set for message' };
  if (!isObject(given)) return { recipients: listify(given) };
  if (!own(given, 'select')) {
    return { reason: "Recipients dictionary must have key 'select' to select relevant group" };
  }
  const select = given.select;
  const selected = listify(typeof select === 'string' && own(given, select) ? given[select] : []);
  const all = pythonTruthy(given.all) ? listify(given.all) : [];
  const members = [...selected, ...all];
  // Python's set() and sorted() need comparable, hashable members: it stops on anything but text.
  const notText = members.find((member) => typeof member !== 'string');
  if (notText !== undefined) {
    return {
      reason: `Recipients dictionary groups must hold e-mail addresses (text), not ${pyRepr(notText)}`,
    };
  }
  const recipients = sortedUnique(members as string[]);
  if (recipients.length === 0) return { reason: 'No selected recipients for message' };
  return { recipients };
}

function contentText(content: unknown): string | { reason: string } {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const notText = content.find((part) => typeof part !== 'string');
    if (notText === undefined) return content.join('');
    return { reason: `Message content list must hold text only, not ${pyRepr(notText)}` };
  }
  return { reason: `Message content must be text or a list of texts, not ${pyRepr(content)}` };
}

/** `{pprint_payload}`: a list of texts joined with line breaks, anything else pretty-printed. */
function prettyPayload(message: unknown): string | { reason: string } {
  if (!Array.isArray(message)) return pformat(message);
  const notText = message.find((item) => typeof item !== 'string');
  if (notText === undefined) return message.join('\n');
  return { reason: `A list payload must hold text only to be mailed, not ${pyRepr(notText)}` };
}

export interface NotificationInput {
  /** The recipe step's parameters; undefined for a plain message. */
  readonly stepParameters?: unknown;
  /** Whether the message came along a recipe. */
  readonly recipe: boolean;
  /** The payload of a recipe message, or the whole plain message. */
  readonly message: unknown;
  /** The `smtp` block's `from`. */
  readonly defaultFrom?: string;
}

/** Decide what to do with one message, as python-zocalo's `Mailer.receive_msg` does. */
export function mailNotification(input: NotificationInput): MailDecision {
  const { message } = input;
  let parameters: unknown;
  let content: unknown;
  if (input.recipe) {
    parameters = input.stepParameters ?? {};
  } else {
    if (!isObject(message) || !pythonTruthy(message.parameters) || !pythonTruthy(message.content)) {
      return { kind: 'reject', reason: 'Rejected invalid simple message' };
    }
    parameters = message.parameters;
    content = message.content;
  }
  if (!isObject(parameters)) {
    return { kind: 'reject', reason: `Mail parameters must be a dictionary, not ${pyRepr(parameters)}` };
  }

  const found = recipientsOf(parameters);
  if ('reason' in found) return { kind: 'reject', reason: found.reason };
  const { recipients } = found;

  const sender = get(parameters, 'from', input.defaultFrom);
  if (sender === undefined) {
    return {
      kind: 'reject',
      reason:
        'No sender for message: give the recipe step a "from" parameter, or the smtp block of the site configuration a "from"',
    };
  }
  const subject = get(parameters, 'subject', DEFAULT_SUBJECT);

  content = get(parameters, 'content', content);
  if (!pythonTruthy(content)) return { kind: 'reject', reason: 'Message has no content' };
  const template = contentText(content);
  if (typeof template !== 'string') return { kind: 'reject', ...template };
  const pretty = prettyPayload(message);
  if (typeof pretty !== 'string') return { kind: 'reject', ...pretty };

  let text: unknown;
  try {
    // str.format_map with a dict that leaves unknown names as written: the parameter filling of recipes.
    text = applyParametersTo(template, { payload: message, pprint_payload: pretty });
  } catch (error) {
    return {
      kind: 'reject',
      reason: `Message content cannot be filled in: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (typeof text !== 'string') {
    return { kind: 'reject', reason: 'Message content must be a format string, not a {$REPLACE:...} value' };
  }

  const summary = `${pyRepr(subject)} to ${pyRepr(recipients)}`;
  // Python sets these headers after its acknowledgement, so a bad one only fails the delivery.
  if (typeof subject !== 'string') {
    return { kind: 'undeliverable', summary, reason: `the subject must be text, not ${pyRepr(subject)}` };
  }
  if (typeof sender !== 'string') {
    return { kind: 'undeliverable', summary, reason: `the sender must be text, not ${pyRepr(sender)}` };
  }
  return {
    kind: 'send',
    mail: { from: sender, to: recipients.map(pyStr), subject, text: mailText(text), summary },
  };
}
