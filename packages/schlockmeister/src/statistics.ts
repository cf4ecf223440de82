/**
 * `zocalo dlq check` on ActiveMQ: queue depths from the broker's statistics plugin
 * (`<statisticsBrokerPlugin/>`, enabled by scripts/brokers/activemq.xml). A message sent to
 * `ActiveMQ.Statistics.Destination.<name or wildcard>` with a `reply-to` header is answered with one map
 * message per matching destination. Over STOMP a map message arrives as XML (`jms-map-xml`, the broker's
 * default for a subscription that asked for no transformation) — or JSON with `jms-map-json` — and both
 * are read here. No reply means no such destination.
 */
import type { MessageBody, Transport } from '@zocalo/workflows';
import { ZocaloError } from '@zocalo/workflows';
import { SCHLOCKMEISTER_ERROR_CODES } from './errors';
import type { DlqCount } from './rabbit';

/** The statistics plugin's destination prefix. */
export const STATISTICS_PREFIX = 'ActiveMQ.Statistics.Destination.';

/** One destination's statistics as the plugin reports them (the fields used here, plus the rest). */
export interface DestinationStatistics {
  /** `queue://<name>` or `topic://<name>`. */
  readonly destinationName: string;
  /** Messages in the destination (including those delivered but not yet acknowledged). */
  readonly size: number;
  readonly [field: string]: string | number | boolean;
}

export interface StatisticsOptions {
  /** Seconds to wait for the broker's answer before deciding the plugin is not there. Default 5. */
  readonly wait?: number;
}

/** A statistics reply that cannot be read. */
export class StatisticsReplyError extends ZocaloError {
  static override readonly code: string = SCHLOCKMEISTER_ERROR_CODES.StatisticsReplyError;

  constructor(message: string) {
    super(message);
  }
}

/** The broker did not answer a statistics request: its statistics plugin is not enabled. */
export class StatisticsUnavailableError extends ZocaloError {
  static override readonly code: string = SCHLOCKMEISTER_ERROR_CODES.StatisticsUnavailableError;

  constructor(message: string) {
    super(message);
  }
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function typed(type: string, text: string): string | number | boolean {
  if (type === 'boolean') return text === 'true';
  if (['long', 'int', 'short', 'byte', 'double', 'float'].includes(type)) return Number(text);
  return text;
}

function fromXml(xml: string): Record<string, string | number | boolean> {
  const fields: Record<string, string | number | boolean> = {};
  const entry = /<entry>\s*<string>([^<]*)<\/string>\s*<(\w+)>([^<]*)<\/\2>\s*<\/entry>/g;
  for (let match = entry.exec(xml); match !== null; match = entry.exec(xml)) {
    fields[unescapeXml(match[1])] = typed(match[2], unescapeXml(match[3]));
  }
  return fields;
}

/** Jettison's map: `{"map": {"entry": [{"string": "size", "long": 2}, {"string": ["name", "value"]}]}}`. */
function fromJson(value: unknown): Record<string, string | number | boolean> {
  const fields: Record<string, string | number | boolean> = {};
  const map = (value as { map?: { entry?: unknown } } | null)?.map;
  const entries = Array.isArray(map?.entry) ? (map.entry as unknown[]) : [];
  for (const item of entries) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    const key = record.string;
    if (Array.isArray(key) && key.length === 2) {
      fields[String(key[0])] = String(key[1]);
      continue;
    }
    if (typeof key !== 'string') continue;
    for (const [type, raw] of Object.entries(record)) {
      if (type === 'string') continue;
      if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') fields[key] = raw;
    }
  }
  return fields;
}

/** Reads one reply of the statistics plugin (XML or JSON map message body). */
export function parseStatistics(body: MessageBody): DestinationStatistics {
  let fields: Record<string, string | number | boolean>;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  if (typeof text === 'string' && text.trimStart().startsWith('<')) fields = fromXml(text);
  else if (typeof text === 'string') {
    try {
      fields = fromJson(JSON.parse(text));
    } catch {
      fields = {};
    }
  } else fields = fromJson(text);
  const { destinationName, size } = fields;
  if (typeof destinationName !== 'string' || typeof size !== 'number' || !Number.isFinite(size)) {
    throw new StatisticsReplyError(
      `ActiveMQ statistics reply without destinationName and size: ${String(text).slice(0, 200)}`,
    );
  }
  return { ...fields, destinationName, size };
}

/**
 * Asks the statistics plugin about the destinations matching each pattern (a queue name, or an ActiveMQ
 * wildcard such as `DLQ.>`) and collects the replies on a temporary queue. A last request asks about that
 * reply queue itself: the plugin answers in order, so its reply closes the answer (no guessing with
 * timeouts), and a broker that never sends it has no statistics plugin ({@link StatisticsUnavailableError}).
 * A pattern no destination matches gets no reply, so it adds nothing. Needs a transport without a name
 * prefix (the plugin's destinations and the reply-to are broker names).
 */
export async function activemqStatistics(
  transport: Transport,
  patterns: string | readonly string[],
  options: StatisticsOptions = {},
): Promise<DestinationStatistics[]> {
  const waitMs = (options.wait ?? 5) * 1000;
  const replies: DestinationStatistics[] = [];
  const errors: Error[] = [];
  let queue = '';
  let closed = false;
  const { subscriptionId, queue: replyQueue } = await transport.subscribeTemporary(
    'statistics',
    (_header, message) => {
      let reply: DestinationStatistics;
      try {
        reply = parseStatistics(message);
      } catch (error) {
        errors.push(error as Error);
        return;
      }
      if (reply.destinationName === `queue://${queue}`) closed = true;
      else if (!closed) replies.push(reply);
    },
    { rawBytes: true },
  );
  queue = replyQueue;
  try {
    const headers = { 'reply-to': `/queue/${replyQueue}` };
    for (const pattern of [...(typeof patterns === 'string' ? [patterns] : patterns), replyQueue]) {
      await transport.rawSend(`${STATISTICS_PREFIX}${pattern}`, '', { headers, persistent: false });
    }
    const deadline = Date.now() + waitMs;
    while (!closed) {
      if (Date.now() > deadline) {
        throw new StatisticsUnavailableError(
          errors[0]?.message ??
            `ActiveMQ did not answer on ${STATISTICS_PREFIX}* within ${waitMs / 1000} s: enable its ` +
              'statistics plugin (<statisticsBrokerPlugin/> in the <plugins> of activemq.xml)',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await transport.unsubscribe(subscriptionId);
  }
  return replies;
}

function queueOf(destinationName: string): string | undefined {
  return destinationName.startsWith('queue://') ? destinationName.slice('queue://'.length) : undefined;
}

/**
 * Message counts of ActiveMQ's dead-letter queues (`DLQ.<queue>`): every `DLQ.*` queue, or `DLQ.<name>` for
 * each name given (a name may already start with `DLQ.`). A named DLQ that does not exist counts 0.
 */
export async function activemqDlqCheck(
  transport: Transport,
  queues?: readonly string[],
  options: StatisticsOptions = {},
): Promise<DlqCount[]> {
  const named = queues !== undefined && queues.length > 0;
  const wanted = named ? queues.map((queue) => (queue.startsWith('DLQ.') ? queue : `DLQ.${queue}`)) : [];
  const counts = new Map<string, number>(wanted.map((queue) => [queue, 0]));
  for (const reply of await activemqStatistics(transport, named ? wanted : 'DLQ.>', options)) {
    const queue = queueOf(reply.destinationName);
    if (queue !== undefined && (!named || counts.has(queue))) counts.set(queue, reply.size);
  }
  return [...counts]
    .map(([queue, messages]) => ({ queue, messages }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
}
