/**
 * Watches RabbitMQ's `dlq.*` queues and logs each newly quarantined message with its `x-death` history
 * (original queue, reason, count, time), as the ActiveMQ Schlockmeister logs its catches. It peeks through
 * the management API (get with `ack_requeue_true`), so messages stay in the DLQ for `dlq purge`.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@zocalo/workflows';
import { getDefaultLogger } from '@zocalo/workflows';
import { matchesAny } from './patterns';
import type { RabbitManagement } from '@zocalo/rabbitmq-management';

/** One entry of a message's `x-death` history. */
export interface DeathRecord {
  readonly queue?: string;
  readonly reason?: string;
  readonly count?: number;
  readonly time?: string;
  readonly exchange?: string;
}

export interface QuarantineArrival {
  readonly dlq: string;
  readonly payload: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly history: readonly DeathRecord[];
}

export interface RabbitDlqWatcherOptions {
  readonly management: RabbitManagement;
  /** Seconds between scans. Default 5. */
  readonly scanInterval?: number;
  /** Only DLQs whose name matches one of these patterns (`*` wildcard). Default `dlq.*`. */
  readonly include?: readonly string[];
  /** Most messages peeked per DLQ and scan. Default 1000. */
  readonly peekLimit?: number;
  readonly logger?: Logger;
  readonly onArrival?: (arrival: QuarantineArrival) => void;
}

interface PeekedMessage {
  readonly payload: string;
  readonly payload_encoding?: string;
  readonly properties?: { readonly headers?: Record<string, unknown> };
}

function deathTime(value: unknown): string | undefined {
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  if (typeof value === 'string') return value;
  return undefined;
}

/** The `x-death` history of a message's headers (array, or its JSON text). */
export function deathHistory(headers: Readonly<Record<string, unknown>>): DeathRecord[] {
  let value = headers['x-death'];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return [];
    }
  }
  if (!Array.isArray(value)) return [];
  return value
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map((entry) => ({
      queue: typeof entry.queue === 'string' ? entry.queue : undefined,
      reason: typeof entry.reason === 'string' ? entry.reason : undefined,
      count: typeof entry.count === 'number' ? entry.count : undefined,
      time: deathTime(entry.time),
      exchange: typeof entry.exchange === 'string' ? entry.exchange : undefined,
    }));
}

export class RabbitDlqWatcher {
  private readonly management: RabbitManagement;
  private readonly scanMs: number;
  private readonly peekLimit: number;
  private readonly include: readonly string[];
  private readonly logger: Logger;
  private readonly onArrival: ((arrival: QuarantineArrival) => void) | undefined;
  /** Per DLQ: fingerprint → how many such messages were seen. */
  private readonly seen = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;

  constructor(options: RabbitDlqWatcherOptions) {
    this.management = options.management;
    this.scanMs = (options.scanInterval ?? 5) * 1000;
    this.peekLimit = options.peekLimit ?? 1000;
    this.include = options.include ?? ['dlq.*'];
    // A given logger (the service runtime's) already names the service: no second `service` field.
    this.logger = options.logger ?? getDefaultLogger().child({ service: 'Schlockmeister' });
    this.onArrival = options.onArrival;
  }

  /** Scans once (messages already in the DLQs count as arrivals on the first scan), then every interval. */
  async start(): Promise<void> {
    await this.scan();
    this.timer = setInterval(() => {
      this.scanning ??= this.scan()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Schlockmeister: DLQ scan failed'))
        .finally(() => {
          this.scanning = undefined;
        });
    }, this.scanMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.scanning;
  }

  /** Peeks every `dlq.*` queue and reports the messages not seen before. */
  async scan(): Promise<QuarantineArrival[]> {
    const arrivals: QuarantineArrival[] = [];
    const queues = (await this.management.queues()).filter(
      (queue) => queue.name.startsWith('dlq.') && matchesAny(queue.name, this.include),
    );
    for (const { name } of queues) {
      const peeked = (await this.management.request('POST', `${this.management.path('queues', name)}/get`, {
        count: this.peekLimit,
        ackmode: 'ack_requeue_true',
        encoding: 'auto',
      })) as PeekedMessage[];
      const before = this.seen.get(name) ?? new Map<string, number>();
      const now = new Map<string, number>();
      for (const message of peeked) {
        const headers = message.properties?.headers ?? {};
        // Peeking requeues the message, which raises its x-delivery-count: leave that out.
        const { 'x-delivery-count': _count, ...stable } = headers;
        const fingerprint = createHash('sha256')
          .update(message.payload)
          .update(JSON.stringify(stable))
          .digest('hex');
        const count = (now.get(fingerprint) ?? 0) + 1;
        now.set(fingerprint, count);
        if (count <= (before.get(fingerprint) ?? 0)) continue;
        const arrival: QuarantineArrival = {
          dlq: name,
          payload: message.payload,
          headers,
          history: deathHistory(headers),
        };
        arrivals.push(arrival);
        const first = arrival.history[0];
        this.logger.warn(
          { dlq: name, headers, history: arrival.history, body: message.payload.slice(0, 500) },
          `Schlockmeister: message quarantined in ${name} (from ${first?.queue ?? 'unknown queue'}, ` +
            `reason ${first?.reason ?? 'unknown'}, count ${first?.count ?? '?'})`,
        );
        this.onArrival?.(arrival);
      }
      this.seen.set(name, now);
    }
    return arrivals;
  }
}
