/**
 * The queues view: depth, consumers, in/out rates and dead-letter count of every queue, from
 * RabbitMQ's management API or ActiveMQ's Jolokia — the clients `zocalo dlq check` counts with
 * (@zocalo/rabbitmq-management, @zocalo/schlockmeister). Credentials stay in those clients; the page
 * gets only names and numbers.
 */
import type { RabbitManagement } from '@zocalo/rabbitmq-management';
import type { DlqCount, Jolokia } from '@zocalo/schlockmeister';
import { jolokiaDlqCheck, rabbitDlqCheck } from '@zocalo/schlockmeister';

/** One queue as the page shows it. */
export interface QueueRow {
  readonly name: string;
  readonly depth: number;
  readonly consumers: number;
  /** Messages per second in and out, when the broker says (RabbitMQ) or two readings tell (ActiveMQ). */
  readonly inRate?: number;
  readonly outRate?: number;
  /** Messages in the queue's dead-letter queue. */
  readonly deadLetters: number;
  /** Why the page should make it stand out: no consumers (with messages waiting), depth growing. */
  readonly alerts: readonly ('no-consumers' | 'growing')[];
}

/** What the dashboard asks of a broker beyond the Transport contract. */
export interface BrokerView {
  readonly kind: 'activemq' | 'rabbitmq';
  /** The dead-letter queue of a queue (`DLQ.<queue>`, `dlq.<queue>`). */
  readonly dlqPrefix: string;
  /** Every queue but the dead-letter ones, with the counts. */
  queues(): Promise<QueueRow[]>;
  /** Message counts of every dead-letter queue. */
  dlqCounts(): Promise<DlqCount[]>;
  /** RabbitMQ: an exchange's type, for reinjecting to a fanout exchange (`dlqReinject`'s option). */
  exchangeType?(exchange: string): Promise<string | undefined>;
}

interface RawRabbitQueue {
  readonly name: string;
  readonly messages?: number;
  readonly consumers?: number;
  readonly message_stats?: {
    readonly publish_details?: { readonly rate?: number };
    readonly deliver_get_details?: { readonly rate?: number };
  };
}

/** Remembers the last depths to tell a growing queue (three rising readings in a row). */
class Trend {
  private readonly last = new Map<
    string,
    { depth: number; rises: number; at: number; in?: number; out?: number }
  >();

  see(
    name: string,
    depth: number,
    counters?: { in: number; out: number },
  ): {
    growing: boolean;
    inRate?: number;
    outRate?: number;
  } {
    const now = Date.now();
    const before = this.last.get(name);
    const rises = before && depth > before.depth ? before.rises + 1 : 0;
    let inRate: number | undefined;
    let outRate: number | undefined;
    if (before && counters && before.in !== undefined && before.out !== undefined && now > before.at) {
      const seconds = (now - before.at) / 1000;
      inRate = Math.max(0, (counters.in - before.in) / seconds);
      outRate = Math.max(0, (counters.out - before.out) / seconds);
    }
    this.last.set(name, { depth, rises, at: now, in: counters?.in, out: counters?.out });
    return { growing: rises >= 2, inRate, outRate };
  }
}

function alerts(depth: number, consumers: number, growing: boolean): QueueRow['alerts'] {
  const list: Array<'no-consumers' | 'growing'> = [];
  if (consumers === 0 && depth > 0) list.push('no-consumers');
  if (growing) list.push('growing');
  return list;
}

/** RabbitMQ through its management API (counts lag up to 5 s, the broker's statistics interval). */
export function rabbitBrokerView(management: RabbitManagement): BrokerView {
  const trend = new Trend();
  return {
    kind: 'rabbitmq',
    dlqPrefix: 'dlq.',
    async queues() {
      const raw = (await management.request('GET', management.path('queues'))) as RawRabbitQueue[];
      const dead = new Map(
        raw.filter((q) => q.name.startsWith('dlq.')).map((q) => [q.name, q.messages ?? 0]),
      );
      return raw
        .filter((queue) => !queue.name.startsWith('dlq.'))
        .map((queue) => {
          const depth = queue.messages ?? 0;
          const consumers = queue.consumers ?? 0;
          const { growing } = trend.see(queue.name, depth);
          return {
            name: queue.name,
            depth,
            consumers,
            inRate: queue.message_stats?.publish_details?.rate ?? 0,
            outRate: queue.message_stats?.deliver_get_details?.rate ?? 0,
            deadLetters: dead.get(`dlq.${queue.name}`) ?? 0,
            alerts: alerts(depth, consumers, growing),
          };
        });
    },
    dlqCounts: () => rabbitDlqCheck(management),
    async exchangeType(exchange) {
      try {
        const answer = (await management.request('GET', management.path('exchanges', exchange))) as
          { type?: unknown } | undefined;
        return typeof answer?.type === 'string' ? answer.type : undefined;
      } catch (error) {
        if ((error as { status?: unknown }).status === 404) return undefined;
        throw error;
      }
    },
  };
}

type Attributes = Record<string, Record<string, unknown> | null>;

/** ActiveMQ through Jolokia: one read of every queue's MBean attributes; rates from two readings. */
export function activemqBrokerView(jolokia: Jolokia): BrokerView {
  const trend = new Trend();
  const mbean = 'org.apache.activemq:type=Broker,brokerName=*,destinationType=Queue,destinationName=*';
  return {
    kind: 'activemq',
    dlqPrefix: 'DLQ.',
    async queues() {
      const reply = await jolokia.read(mbean);
      const value = (reply.status === 200 ? reply.value : {}) as Attributes;
      const rows: Array<{ name: string; depth: number; consumers: number; in: number; out: number }> = [];
      for (const [name, attributes] of Object.entries(value ?? {})) {
        const destination = /(?:^|[:,])destinationName=([^,]*)/.exec(name)?.[1];
        if (destination === undefined || attributes === null) continue;
        const number = (key: string): number => {
          const found = attributes[key];
          return typeof found === 'number' ? found : 0;
        };
        rows.push({
          name: destination,
          depth: number('QueueSize'),
          consumers: number('ConsumerCount'),
          in: number('EnqueueCount'),
          out: number('DequeueCount'),
        });
      }
      const dead = new Map(
        rows.filter((row) => row.name.startsWith('DLQ.')).map((row) => [row.name, row.depth]),
      );
      return rows
        .filter((row) => !row.name.startsWith('DLQ.') && !row.name.startsWith('ActiveMQ.'))
        .map((row) => {
          const seen = trend.see(row.name, row.depth, { in: row.in, out: row.out });
          return {
            name: row.name,
            depth: row.depth,
            consumers: row.consumers,
            ...(seen.inRate === undefined ? {} : { inRate: seen.inRate }),
            ...(seen.outRate === undefined ? {} : { outRate: seen.outRate }),
            deadLetters: dead.get(`DLQ.${row.name}`) ?? 0,
            alerts: alerts(row.depth, row.consumers, seen.growing),
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    dlqCounts: () => jolokiaDlqCheck(jolokia),
  };
}
