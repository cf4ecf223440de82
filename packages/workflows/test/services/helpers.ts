import type { Clock, ClockTimer, ServiceRuntimeOptions, StatusMessage } from '../../src';
import { MemoryBroker, MemoryTransport, RecordingLogger, STATUS_TOPIC } from '../../src';

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  private time = 1_000_000;
  private readonly pending = new Map<ClockTimer, { at: number; fn: () => void }>();
  /** Every delay asked for, in ms, in order. */
  readonly requested: number[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer = {};
    this.requested.push(ms);
    this.pending.set(timer, { at: this.time + ms, fn });
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    this.pending.delete(timer);
  }

  get waiting(): number {
    return this.pending.size;
  }

  /** Move time forward, running what falls due in order, letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      let next: [ClockTimer, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
    await flush();
  }
}

/** Let pending promise callbacks (and one turn of I/O) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Setup {
  readonly broker: MemoryBroker;
  /** The service's transport. */
  readonly transport: MemoryTransport;
  /** Another connection to the same broker, for the test to send and watch with. */
  readonly client: MemoryTransport;
  readonly logger: RecordingLogger;
  readonly statuses: StatusMessage[];
  /** Runtime options for a fast, quiet runtime on this broker. */
  options(extra?: Partial<ServiceRuntimeOptions>): ServiceRuntimeOptions;
  close(): Promise<void>;
}

/** A private broker, a connected client that records status broadcasts, and runtime options. */
export async function setup(): Promise<Setup> {
  const broker = new MemoryBroker();
  const logger = new RecordingLogger();
  const transport = new MemoryTransport({ broker, logger });
  const client = new MemoryTransport({ broker, logger: new RecordingLogger() });
  await client.connect();
  const statuses: StatusMessage[] = [];
  await client.subscribeBroadcast(STATUS_TOPIC, (_header, message) => {
    statuses.push(message as StatusMessage);
  });
  return {
    broker,
    transport,
    client,
    logger,
    statuses,
    options: (extra = {}) => ({
      transport,
      logger,
      hostId: 'uk.ac.diamond.test.4711',
      statusInterval: 60,
      idleDelay: 0,
      ...extra,
    }),
    close: async () => {
      await client.disconnect();
      await transport.disconnect();
      broker.reset();
    },
  };
}
