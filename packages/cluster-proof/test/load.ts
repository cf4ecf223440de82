/**
 * A message load for the fault tests: producers sending numbered persistent messages (each send
 * confirmed or receipted by the broker before it counts), competing consumers acking them, and the
 * bookkeeping that tells lost from duplicated from redelivered messages, and when each consumer
 * received its messages.
 */
import type { ReceivedHeaders, Transport } from '@zocalo/workflows';
import { RESENT_HEADER } from '@zocalo/workflows';

export interface LoadOptions {
  readonly queue: string;
  readonly producers: readonly Transport[];
  readonly consumers: readonly Transport[];
  /** Messages to confirm in all (each producer sends its share). */
  readonly total: number;
  /** Sends in flight per producer. */
  readonly window: number;
  readonly prefetch: number;
  /** Sends started per second, all producers together: the load lasts through the faults. */
  readonly rate: number;
}

export interface LoadReport {
  readonly confirmed: number;
  /** Sends that failed (not confirmed): resent under a new id, so never counted as lost. */
  readonly failedSends: number;
  readonly lost: number;
  readonly deliveries: number;
  /** Deliveries of an id already delivered. */
  readonly duplicates: number;
  /** Duplicates marked `redelivered` (the broker gave the same message again). */
  readonly redeliveredDuplicates: number;
  /** Duplicates marked `zocalo-resent` (the transport sent it again after a lost receipt or confirm). */
  readonly resentDuplicates: number;
  /** Duplicates that said neither: must be 0. */
  readonly unmarkedDuplicates: number;
  /** Deliveries of ids never confirmed (their send failed but the message arrived). */
  readonly unconfirmedArrivals: number;
}

export class Load {
  readonly confirmed = new Set<string>();
  /**
   * When the send of each confirmed id began (ms since the epoch): one begun after a fault can only have
   * been confirmed by a broker that survived it (a confirm read late off a dead link cannot pass for one).
   */
  readonly sentAt = new Map<string, number>();
  failedSends = 0;
  /** Why sends failed: error class and message (ids and numbers cut out), with counts. */
  readonly failures = new Map<string, number>();
  /** Deliveries per id. */
  readonly delivered = new Map<string, number>();
  duplicates = 0;
  redeliveredDuplicates = 0;
  resentDuplicates = 0;
  unmarkedDuplicates = 0;
  /** The first duplicates in detail, to tell where one came from when a run fails. */
  readonly duplicateDetails: string[] = [];
  /** Delivery times of each consumer (ms since the epoch). */
  readonly times: number[][];
  /** Per consumer, the delivery times of confirmed messages, with the time their send began. */
  readonly sentThenReceived: [sent: number, received: number][][];
  private producing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LoadOptions) {
    this.times = options.consumers.map(() => []);
    this.sentThenReceived = options.consumers.map(() => []);
  }

  async subscribe(): Promise<void> {
    await Promise.all(
      this.options.consumers.map((consumer, index) =>
        consumer.subscribe(
          this.options.queue,
          (header, message) => this.receive(consumer, index, header, message),
          {
            acknowledgement: true,
            prefetch: this.options.prefetch,
          },
        ),
      ),
    );
  }

  private async receive(
    consumer: Transport,
    index: number,
    header: ReceivedHeaders,
    message: unknown,
  ): Promise<void> {
    const id = (message as { id?: string }).id ?? '?';
    const seen = this.delivered.get(id) ?? 0;
    this.delivered.set(id, seen + 1);
    if (seen > 0) {
      this.duplicates++;
      if (this.duplicateDetails.length < 20) {
        const count = header['x-delivery-count'];
        this.duplicateDetails.push(
          `${id} to consumer${index} at ${new Date().toISOString()}: redelivered=${String(header.redelivered)}` +
            ` x-delivery-count=${String(count)} ${RESENT_HEADER}=${String(header[RESENT_HEADER])}`,
        );
      }
      if (header.redelivered === true) this.redeliveredDuplicates++;
      else if (header[RESENT_HEADER] === 'true' || header[RESENT_HEADER] === true) this.resentDuplicates++;
      else this.unmarkedDuplicates++;
    }
    const now = Date.now();
    this.times[index].push(now);
    const sentAt = this.sentAt.get(id);
    if (sentAt !== undefined) this.sentThenReceived[index].push([sentAt, now]);
    // An ack on a link that just died is lost; the broker redelivers the message (marked redelivered).
    await consumer.ack(header).catch(() => undefined);
  }

  /** Starts the producers; resolves at once (see {@link produced}). */
  produce(): void {
    const { producers, total, window } = this.options;
    const share = Math.ceil(total / producers.length);
    const start = Date.now();
    let started = 0;
    const pace = async (): Promise<void> => {
      const due = start + (started++ * 1000) / this.options.rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    };
    this.producing = Promise.all(
      producers.map(async (producer, p) => {
        let next = 0;
        const lane = async (): Promise<void> => {
          while (!this.stopped && next < share && this.confirmed.size < total) {
            const n = next++;
            await pace();
            for (let attempt = 0; !this.stopped; attempt++) {
              // A failed send may still have arrived: the retry gets its own id, so no id is sent twice.
              const id = `p${p}-${n}-${attempt}`;
              const began = Date.now();
              try {
                await producer.send(this.options.queue, { id }, { persistent: true });
                this.confirmed.add(id);
                this.sentAt.set(id, began);
                break;
              } catch (error) {
                this.failedSends++;
                const reason = `${(error as Error).name}: ${(error as Error).message}`
                  .replace(/[0-9]+/g, 'N')
                  .slice(0, 160);
                this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
                await new Promise((resolve) => setTimeout(resolve, 50));
              }
            }
          }
        };
        await Promise.all(Array.from({ length: window }, lane));
      }),
    ).then(() => undefined);
  }

  produced(): Promise<void> {
    return this.producing ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Consumer `index`'s first delivery of a message sent (and confirmed) at or after `since`, if any:
   * messages it had prefetched before a fault do not count as resuming.
   */
  firstDeliveryAfter(index: number, since: number): number | undefined {
    return this.sentThenReceived[index].find(([sent]) => sent >= since)?.[1];
  }

  /** The first delivery of any consumer at or after `since`. */
  anyDeliveryAfter(since: number): number | undefined {
    const firsts = this.times
      .map((_, index) => this.firstDeliveryAfter(index, since))
      .filter((t) => t !== undefined);
    return firsts.length === 0 ? undefined : Math.min(...firsts);
  }

  /** Confirmed ids not (yet) delivered. */
  missing(): string[] {
    return [...this.confirmed].filter((id) => !this.delivered.has(id));
  }

  report(): LoadReport {
    let unconfirmedArrivals = 0;
    let deliveries = 0;
    for (const [id, count] of this.delivered) {
      deliveries += count;
      if (!this.confirmed.has(id)) unconfirmedArrivals++;
    }
    return {
      confirmed: this.confirmed.size,
      failedSends: this.failedSends,
      lost: this.missing().length,
      deliveries,
      duplicates: this.duplicates,
      redeliveredDuplicates: this.redeliveredDuplicates,
      resentDuplicates: this.resentDuplicates,
      unmarkedDuplicates: this.unmarkedDuplicates,
      unconfirmedArrivals,
    };
  }
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
