/**
 * Dead-letter files exactly as python-zocalo 1.6's `zocalo.dlq_purge` writes them, and read back as its
 * `zocalo.dlq_reinject` reads them (see packages/cli/README.md for samples):
 *
 * - path `<location>/<YYYY-MM-DD>/msg-<YYYYmmdd-HHMMSS>-<mmm>-<message-id>` in local time of the message
 *   (ActiveMQ: its `timestamp` header; RabbitMQ: its first `x-death` time, so the milliseconds are 000),
 *   the message id with each run of characters outside `[a-zA-Z0-9._-]` made one `_`;
 * - content `json.dump({"exported": {date, time}, "header": header, "message": message}, indent=2,
 *   sort_keys=True)`: no final newline, non-ASCII escaped;
 * - `header` as python-workflows hands it to a subscriber: on ActiveMQ the STOMP 1.1 frame headers, all
 *   text; on RabbitMQ the application headers (with `x-death` a list) merged with `consumer_tag`,
 *   `delivery_mode`, `exchange`, `message-id` (the delivery tag, an int), `redelivered`, `routing_key`
 *   and `subscription`;
 * - `message` the body parsed as JSON, or the text when it is not JSON.
 *
 * A body that is not UTF-8 (Python cannot purge one) gets `bodyBase64` instead of `message`, so that our
 * reinject sends its bytes and Python's refuses the file rather than send something else.
 */
import type { HeaderValue } from '@zocalo/workflows';
import type { PyDict, PyValue } from '@zocalo/recipes';
import { PyFloat, fromPlain, pyDumps, pyLoads } from '@zocalo/recipes';

export type DlqBroker = 'activemq' | 'rabbitmq';

/** One file as python-zocalo's purge would write it. */
export interface PythonDlqFile {
  /** The date folder under the purge location, `YYYY-MM-DD`. */
  readonly directory: string;
  /** The file name, `msg-<YYYYmmdd-HHMMSS>-<mmm>-<message-id>`. */
  readonly name: string;
  /** The file's whole content. */
  readonly text: string;
  /** The message id as Python prints it. */
  readonly messageId: string;
  /** The message's time the name is made of. */
  readonly time: Date;
}

const two = (value: number): string => value.toString().padStart(2, '0');

function localDate(time: Date, separator: string): string {
  return `${time.getFullYear()}${separator}${two(time.getMonth() + 1)}${separator}${two(time.getDate())}`;
}

function localTime(time: Date, separator: string): string {
  return `${two(time.getHours())}${separator}${two(time.getMinutes())}${separator}${two(time.getSeconds())}`;
}

/** `time.strftime('%Y-%m-%d %H:%M:%S')` of a time, as Python prints it after each export. */
export function pythonLocalTime(time: Date): string {
  return `${localDate(time, '-')} ${localTime(time, ':')}`;
}

/**
 * What python-zocalo makes of an `x-death` time: pika decodes the AMQP timestamp as a naive UTC
 * datetime, and `datetime.timestamp()` reads a naive datetime as local time, so off UTC machines the
 * number is shifted by the local offset. Reproduced so that both tools write the same file.
 */
export function pythonDeathTime(epochSeconds: number): number {
  const utc = new Date(epochSeconds * 1000);
  const asLocal = new Date(
    utc.getUTCFullYear(),
    utc.getUTCMonth(),
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
    utc.getUTCMilliseconds(),
  );
  return asLocal.getTime() / 1000;
}

/** An `x-death` header as our AMQP transport delivers it (JSON text) or as a list, as Python's list. */
function deathList(value: unknown): PyValue[] | undefined {
  let parsed: unknown = value;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.map((entry: unknown) => {
    const dict = fromPlain(entry);
    if (dict instanceof Map) {
      const time = dict.get('time');
      // Python converts only the first entry's time and would fail on a second one: all are converted here.
      if (typeof time === 'number') dict.set('time', new PyFloat(pythonDeathTime(time)));
    }
    return dict;
  });
}

/** The header as python-workflows hands it to python-zocalo's purge callback. */
function pythonHeader(broker: DlqBroker, header: Readonly<Record<string, HeaderValue | undefined>>): PyDict {
  const dict: PyDict = new Map();
  for (const [name, value] of Object.entries(header)) {
    if (value === undefined) continue;
    if (broker === 'activemq') {
      // stomp.py speaks STOMP 1.1: no `ack` header; `redelivered` only when the broker sent it (true).
      if (name === 'ack') continue;
      if (name === 'redelivered') {
        if (value === true || value === 'true') dict.set(name, 'true');
        continue;
      }
      dict.set(name, String(value));
      continue;
    }
    if (name === 'x-death') {
      const list = deathList(value);
      dict.set(name, list ?? String(value));
    } else if (name === 'message-id' && typeof value === 'string' && /^\d+$/.test(value)) {
      dict.set(name, Number(value));
    } else {
      dict.set(name, fromPlain(value));
    }
  }
  if (broker === 'rabbitmq' && !dict.has('delivery_mode')) dict.set('delivery_mode', null);
  return dict;
}

/** The time of a message as python-zocalo's purge takes it, in epoch milliseconds. */
function messageTime(broker: DlqBroker, header: PyDict, now: Date): number {
  if (broker === 'activemq') {
    const stamp = Number(header.get('timestamp'));
    return Number.isSafeInteger(stamp) ? stamp : now.getTime();
  }
  const death = header.get('x-death');
  const first = Array.isArray(death) ? death[0] : undefined;
  const time = first instanceof Map ? first.get('time') : undefined;
  return time instanceof PyFloat ? Math.trunc(time.value) * 1000 : Math.trunc(now.getTime() / 1000) * 1000;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as python-workflows' subscriber gets it: parsed JSON, else the text; undefined if not UTF-8. */
export function pythonMessage(body: string | Buffer): PyValue | undefined {
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    return undefined;
  }
  try {
    return pyLoads(text);
  } catch {
    return text;
  }
}

/** python-zocalo's file name part for a message id. */
export function pythonFileId(messageId: string): string {
  return messageId.replace(/[^a-zA-Z0-9._-]+/g, '_');
}

/**
 * The file python-zocalo 1.6's `zocalo.dlq_purge` writes for one dead-lettered message, from the header
 * and body our transport delivered (`now` is the export time).
 */
export function pythonDlqFile(
  broker: DlqBroker,
  header: Readonly<Record<string, HeaderValue | undefined>>,
  body: string | Buffer,
  now: Date = new Date(),
): PythonDlqFile {
  const saved = pythonHeader(broker, header);
  const time = new Date(messageTime(broker, saved, now));
  const milliseconds = time.getTime() % 1000;
  const messageId = String(header['message-id'] ?? '');
  const content: PyDict = new Map<string, PyValue>([
    [
      'exported',
      new Map([
        ['date', localDate(now, '-')],
        ['time', localTime(now, ':')],
      ]),
    ],
    ['header', saved],
  ]);
  const message = pythonMessage(body);
  if (message === undefined) content.set('bodyBase64', Buffer.from(body).toString('base64'));
  else content.set('message', message);
  return {
    directory: localDate(time, '-'),
    name: `msg-${localDate(time, '')}-${localTime(time, '')}-${milliseconds.toString().padStart(3, '0')}-${pythonFileId(messageId)}`,
    text: pyDumps(content, { indent: 2, sortKeys: true }),
    messageId,
    time,
  };
}

/** What a python-format file says, as python-zocalo's reinject reads it. */
export interface PythonDlqContent {
  readonly broker: DlqBroker;
  readonly header: PyDict;
  /** ActiveMQ: `queue` or `topic` of the original destination. */
  readonly kind: 'queue' | 'topic';
  /** ActiveMQ: the original destination's name; RabbitMQ: the first `x-death` entry's queue. */
  readonly destination: string;
  /** RabbitMQ: the first `x-death` entry's exchange, when not the default one. */
  readonly exchange?: string;
  /** The body to send: the text of a string message, else the JSON Python's reinject would send. */
  readonly body: string | Buffer;
  readonly message?: PyValue;
  readonly exported?: { readonly date: string; readonly time: string };
}

function text(value: PyValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads a file in python-zocalo's format (or undefined when `text` is not one: no `header` dict, or
 * neither `message` nor `bodyBase64`); throws a plain Error saying what is missing when it is one but
 * names no destination.
 */
export function readPythonDlqFile(content: string): PythonDlqContent | undefined {
  let value: PyValue;
  try {
    value = pyLoads(content);
  } catch {
    return undefined;
  }
  if (!(value instanceof Map)) return undefined;
  const header = value.get('header');
  const message = value.get('message');
  const base64 = value.get('bodyBase64');
  if (!(header instanceof Map) || (message === undefined && typeof base64 !== 'string')) return undefined;
  const body =
    typeof base64 === 'string'
      ? Buffer.from(base64, 'base64')
      : typeof message === 'string'
        ? message
        : pyDumps(message ?? null);
  const stamp = value.get('exported');
  const exported =
    stamp instanceof Map && text(stamp.get('date')) !== undefined && text(stamp.get('time')) !== undefined
      ? { date: text(stamp.get('date'))!, time: text(stamp.get('time'))! }
      : undefined;
  // x-death at the top level (python-zocalo since 2022), or under `headers` (python-workflows before).
  const nested = header.get('headers');
  const death = header.get('x-death') ?? (nested instanceof Map ? nested.get('x-death') : undefined);
  const deaths = typeof death === 'string' ? deathList(death) : Array.isArray(death) ? death : undefined;
  const first = deaths?.[0];
  if (first instanceof Map) {
    const queue = text(first.get('queue'));
    if (queue === undefined || queue === '') throw new Error('the first "x-death" entry names no queue');
    const exchange = text(first.get('exchange'));
    return {
      broker: 'rabbitmq',
      header,
      kind: 'queue',
      destination: queue,
      ...(exchange ? { exchange } : {}),
      body,
      ...(message === undefined ? {} : { message }),
      ...(exported ? { exported } : {}),
    };
  }
  const routingKey = text(header.get('routing_key'));
  if (routingKey !== undefined && !header.has('destination')) {
    // A RabbitMQ message put straight into a DLQ has no x-death (python-zocalo cannot purge it): its
    // routing key names the DLQ.
    return {
      broker: 'rabbitmq',
      header,
      kind: 'queue',
      destination: routingKey.startsWith('dlq.') ? routingKey.slice(4) : routingKey,
      body,
      ...(message === undefined ? {} : { message }),
      ...(exported ? { exported } : {}),
    };
  }
  const destination = text(header.get('original-destination')) ?? text(header.get('destination'));
  const parts = destination?.split('/');
  if (destination === undefined || parts === undefined || parts.length < 3 || parts[0] !== '') {
    throw new Error('no "original-destination", "destination" or "x-death" header to send it back to');
  }
  if (parts[1] !== 'queue' && parts[1] !== 'topic') {
    throw new Error(`unknown message mechanism "${parts[1]}" in destination ${destination}`);
  }
  let name = parts.slice(2).join('/');
  // Without original-destination python-zocalo sends it back into the DLQ itself; the queue it stands
  // for is more use (a message put straight into a DLQ has no original destination).
  if (text(header.get('original-destination')) === undefined && name.startsWith('DLQ.')) name = name.slice(4);
  return {
    broker: 'activemq',
    header,
    kind: parts[1],
    destination: name,
    body,
    ...(message === undefined ? {} : { message }),
    ...(exported ? { exported } : {}),
  };
}
