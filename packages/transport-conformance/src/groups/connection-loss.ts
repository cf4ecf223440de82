import { randomUUID } from 'node:crypto';
import type { ReceivedHeaders, Transport, TransportEvent } from '@zocalo/workflows';
import { ZocaloError } from '@zocalo/workflows';
import { expect } from '../expect';
import type { NetAddress } from '../fault-proxy';
import { FaultProxy } from '../fault-proxy';
import type { ConformanceOptions } from '../harness';
import { sleep } from '../harness';
import { runnerFor } from '../runner';

/** The reconnection the suite asks of a transport it creates: short, so that each case runs in seconds. */
export interface LinkSettings {
  /** Reconnection attempts before the transport gives up and reports `disconnected`. */
  readonly attempts: number;
  /** Wait before the first attempt, in ms. */
  readonly initialDelayMs: number;
  /** Longest wait between attempts, in ms. */
  readonly maxDelayMs: number;
}

/** The faults the group injects: a {@link FaultProxy}'s, or those of a simulated link. */
export interface LinkFaults {
  /** Close every connection from the broker side (a FIN to each client). */
  dropAll(): void;
  /** Silence every connection, old and new: no FIN, no data, sockets kept open. */
  stall(): void;
  /** End a stall. */
  resume(): void;
  /** Refuse new connections, for `ms` or until {@link accept}. */
  refuse(ms?: number): void;
  accept(): void;
  /** Connections the link holds open now (0 once a transport has given up). */
  openConnections(): number;
}

/** How a transport runs the connection-loss group (`connectionLoss` in {@link ConformanceOptions}). */
export interface ConnectionLossOptions {
  /** Where the broker listens: the suite puts a {@link FaultProxy} in front of it for each case. */
  readonly brokerAddress?: NetAddress;
  /**
   * A fresh, unconnected transport that connects to `address` (the proxy) instead of the broker, with
   * the reconnection `settings` and a heart-beat short enough for {@link livenessBound}.
   */
  createThrough?(address: NetAddress, settings: LinkSettings): Transport | Promise<Transport>;
  /**
   * Instead of a proxy, for a transport without a socket (the memory transport): transports on a
   * simulated link, and its faults. Each case ends any fault it started.
   */
  readonly simulated?: {
    create(settings: LinkSettings): Transport | Promise<Transport>;
    readonly faults: LinkFaults;
  };
  /**
   * The longest, in ms, that a silent link (no FIN, no data) may go unnoticed with the settings the
   * transport is created with: the stall case fails if `reconnecting` comes later.
   */
  readonly livenessBound: number;
  /** Restart the broker (connections close, durable queues and persistent messages survive). */
  restartBroker?(): Promise<void>;
  /** Messages each case sends and consumes. Default 300. */
  readonly messages?: number;
}

/** The options cannot run the group. */
export class ConformanceSetupError extends ZocaloError {}

/** Settings of every case but give-up: attempts enough to ride out the faults. */
const RIDE_OUT: LinkSettings = { attempts: 20, initialDelayMs: 100, maxDelayMs: 500 };
/** Settings of the give-up case. */
const GIVE_UP: LinkSettings = { attempts: 3, initialDelayMs: 100, maxDelayMs: 200 };
/** Sends in flight at once, and the pause between two sends (so the stream spans the fault). */
const WINDOW = 20;
const PACE_MS = 10;
/** How long sends may take to settle, and messages to arrive, once the link is back. */
const SETTLE_MS = 15_000;

/** A TransportEvent with the time it came. */
interface TimedEvent {
  readonly event: TransportEvent;
  readonly at: number;
}

/** Problems with a transport's event stream: it must be one ordered sequence per transport. */
export function eventStreamProblems(events: readonly TransportEvent[]): string[] {
  const problems: string[] = [];
  let due = 1;
  let losing = false;
  events.forEach((event, index) => {
    const where = `event ${index} (${describeEvent(event)})`;
    switch (event.type) {
      case 'connected':
        if (index !== 0) problems.push(`${where}: 'connected' only comes first`);
        break;
      case 'reconnecting':
        if (event.attempt !== due) problems.push(`${where}: attempt ${due} was due`);
        due = event.attempt + 1;
        losing = true;
        break;
      case 'reconnected':
        if (!losing) problems.push(`${where}: 'reconnected' without 'reconnecting' before it`);
        due = 1;
        losing = false;
        break;
      case 'disconnected':
        if (index !== events.length - 1) problems.push(`${where}: events after 'disconnected'`);
        break;
    }
  });
  return problems;
}

function describeEvent(event: TransportEvent): string {
  return event.type === 'reconnecting' ? `reconnecting ${event.attempt}` : event.type;
}

function streamText(events: readonly TransportEvent[]): string {
  return events.map(describeEvent).join(', ');
}

/** How many handles of each kind the process holds (timers, sockets). */
function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Timers and sockets alive now beyond those in `before`. */
function leakedHandles(before: Record<string, number>): Record<string, number> {
  const leaked: Record<string, number> = {};
  for (const [kind, count] of Object.entries(handleCounts())) {
    if ((kind === 'Timeout' || kind.startsWith('TCP')) && count > (before[kind] ?? 0)) {
      leaked[kind] = count - (before[kind] ?? 0);
    }
  }
  return leaked;
}

async function waitFor(predicate: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** `promise`, or undefined after `ms`; leaves no timer behind (the give-up case counts them). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function isRedelivered(header: ReceivedHeaders): boolean {
  return String(header.redelivered) === 'true';
}

type SendOutcome =
  | { readonly state: 'pending' }
  | { readonly state: 'resolved' }
  | { readonly state: 'rejected'; readonly error: Error };

/** One send of the stream: its sequence number, when it was made and how it ended. */
interface SendRecord {
  readonly seq: number;
  readonly at: number;
  outcome: SendOutcome;
}

/**
 * A stream of confirmed sends and acknowledged consumption on one transport, recording what was
 * confirmed, what arrived (and whether marked redelivered) and every event.
 */
class Workload {
  readonly events: TimedEvent[] = [];
  readonly sends: SendRecord[] = [];
  readonly deliveries: Array<{ readonly seq: number; readonly redelivered: boolean; readonly at: number }> =
    [];
  private stopping = false;
  private sender: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly transport: Transport,
    readonly queue: string,
    readonly total: number,
  ) {
    transport.onEvent((event) => this.events.push({ event, at: Date.now() }));
  }

  async start(): Promise<void> {
    await this.transport.connect();
    const prefetch = this.transport.capabilities.prefetch ? WINDOW : undefined;
    await this.transport.subscribe(
      this.queue,
      (header, message) => {
        const seq = (message as { seq?: unknown } | null)?.seq;
        this.deliveries.push({
          seq: typeof seq === 'number' ? seq : -1,
          redelivered: isRedelivered(header),
          at: Date.now(),
        });
        // An ack on a lost link may fail; the broker then redelivers, which the checks allow.
        return this.transport.ack(header).catch(() => undefined);
      },
      { acknowledgement: true, prefetch },
    );
    this.sender = this.sendAll();
  }

  private async sendAll(): Promise<void> {
    for (let seq = 0; seq < this.total && !this.stopping; seq++) {
      while (this.inFlight.size >= WINDOW) await Promise.race(this.inFlight);
      this.send(seq);
      await sleep(PACE_MS);
    }
  }

  /** One confirmed send, recorded; also used for sends outside the stream. */
  send(seq: number): Promise<void> {
    const record: SendRecord = { seq, at: Date.now(), outcome: { state: 'pending' } };
    this.sends.push(record);
    const sent = this.transport.send(this.queue, { seq }).then(
      () => {
        record.outcome = { state: 'resolved' };
      },
      (error: unknown) => {
        record.outcome = {
          state: 'rejected',
          error: error instanceof Error ? error : new Error(String(error)),
        };
      },
    );
    this.inFlight.add(sent);
    void sent.then(() => this.inFlight.delete(sent));
    return sent;
  }

  /** Stop sending more of the stream (sends in flight go on). */
  stop(): void {
    this.stopping = true;
  }

  delivered(): number {
    return this.deliveries.length;
  }

  /** Resolves once `count` messages were delivered (counting redeliveries). */
  deliveredAtLeast(count: number, timeout = SETTLE_MS): Promise<void> {
    return waitFor(
      () => this.deliveries.length >= count,
      timeout,
      `${count} deliveries (got ${this.deliveries.length})`,
    );
  }

  /** The first event of `type` at or after `since`, waiting up to `timeout` ms. */
  async nextEvent(
    type: TransportEvent['type'],
    since: number,
    timeout: number,
  ): Promise<TimedEvent | undefined> {
    const find = (): TimedEvent | undefined =>
      this.events.find((each) => each.event.type === type && each.at >= since);
    const deadline = Date.now() + timeout;
    while (!find() && Date.now() < deadline) await sleep(5);
    return find();
  }

  /** Let the stream finish: every send settled and every confirmed one delivered, within the limits. */
  async finish(): Promise<void> {
    await this.sender;
    const deadline = Date.now() + SETTLE_MS;
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(10);
    const confirmed = new Set(this.resolved());
    const seen = (): number =>
      new Set(this.deliveries.map((each) => each.seq).filter((seq) => confirmed.has(seq))).size;
    while (seen() < confirmed.size && Date.now() < deadline) await sleep(10);
    // Redeliveries of messages whose ack was lost have their chance to arrive before the checks.
    await sleep(300);
  }

  resolved(): number[] {
    return this.sends.filter((send) => send.outcome.state === 'resolved').map((send) => send.seq);
  }

  /** Every problem of the run: lost confirmed sends, unmarked duplicates, a broken event stream. */
  problems(): string[] {
    const problems: string[] = [];
    const pending = this.sends.filter((send) => send.outcome.state === 'pending');
    if (pending.length > 0) {
      problems.push(
        `${pending.length} send(s) neither resolved nor rejected ${SETTLE_MS} ms after the stream ended ` +
          `(first: seq ${pending[0].seq}): a send in flight when the link failed must be retried or rejected`,
      );
    }
    const bySeq = new Map<number, boolean[]>();
    for (const delivery of this.deliveries) {
      const marks = bySeq.get(delivery.seq) ?? [];
      marks.push(delivery.redelivered);
      bySeq.set(delivery.seq, marks);
    }
    const lost = this.resolved().filter((seq) => !bySeq.has(seq));
    if (lost.length > 0) {
      problems.push(`${lost.length} confirmed send(s) never delivered: seq ${lost.slice(0, 20).join(', ')}`);
    }
    const unmarked = [...bySeq].filter(([, marks]) => marks.slice(1).some((redelivered) => !redelivered));
    if (unmarked.length > 0) {
      problems.push(
        `${unmarked.length} message(s) delivered again without redelivered: seq ` +
          unmarked
            .slice(0, 20)
            .map(([seq, marks]) => `${seq} (${marks.length}×)`)
            .join(', '),
      );
    }
    const strange = [...bySeq.keys()].filter((seq) => !this.sends.some((send) => send.seq === seq));
    if (strange.length > 0) problems.push(`deliveries of messages never sent: seq ${strange.join(', ')}`);
    const events = this.events.map((each) => each.event);
    for (const problem of eventStreamProblems(events))
      problems.push(`${problem}; stream: ${streamText(events)}`);
    return problems;
  }

  /** Problems after one loss the transport should have ridden out. */
  recoveryProblems(): string[] {
    const problems = this.problems();
    const reconnected = this.events.filter((each) => each.event.type === 'reconnected').at(-1);
    if (!reconnected) {
      problems.push(`no 'reconnected' event; stream: ${streamText(this.events.map((each) => each.event))}`);
      return problems;
    }
    const failedAfter = this.sends.filter(
      (send) => send.at > reconnected.at && send.outcome.state === 'rejected',
    );
    if (failedAfter.length > 0) {
      const first = failedAfter[0].outcome as { error: Error };
      problems.push(`${failedAfter.length} send(s) made after 'reconnected' failed: ${first.error.message}`);
    }
    if (!this.deliveries.some((delivery) => delivery.at > reconnected.at)) {
      problems.push("no delivery after 'reconnected': the subscription was not resumed");
    }
    if (this.resolved().length === 0) problems.push('no send was confirmed at all');
    return problems;
  }
}

/** Per test: the link (a fresh proxy, or the simulated one), its transports and queues. */
class LossFixture {
  private proxy: FaultProxy | undefined;
  private readonly transports: Transport[] = [];
  private readonly queues: string[] = [];

  constructor(
    private readonly options: ConformanceOptions,
    private readonly loss: ConnectionLossOptions,
  ) {}

  async open(): Promise<void> {
    if (this.loss.simulated) return;
    this.proxy = await FaultProxy.start(this.loss.brokerAddress!);
  }

  get faults(): LinkFaults {
    if (this.loss.simulated) return this.loss.simulated.faults;
    const proxy = this.proxy!;
    return {
      dropAll: () => proxy.dropAll(),
      stall: () => proxy.stall(),
      resume: () => proxy.resume(),
      refuse: (ms) => proxy.refuse(ms),
      accept: () => proxy.accept(),
      openConnections: () => proxy.stats().open,
    };
  }

  async workload(name: string, settings: LinkSettings = RIDE_OUT): Promise<Workload> {
    const transport = this.loss.simulated
      ? await this.loss.simulated.create(settings)
      : await this.loss.createThrough!(this.proxy!.address, settings);
    this.transports.push(transport);
    const queue = `zocalo.conformance.loss.${name}.${randomUUID().slice(0, 8)}`;
    this.queues.push(queue);
    return new Workload(transport, queue, this.loss.messages ?? 300);
  }

  async close(): Promise<void> {
    const faults = this.faults;
    faults.accept();
    faults.resume();
    for (const transport of this.transports.splice(0)) await transport.disconnect().catch(() => undefined);
    await this.proxy?.close();
    this.proxy = undefined;
    for (const queue of this.queues.splice(0)) {
      await this.options.deleteQueue?.(queue).catch(() => undefined);
      const dlq = this.options.deadLetterQueue?.(queue);
      if (dlq) await this.options.deleteQueue?.(dlq).catch(() => undefined);
    }
  }
}

function report(problems: readonly string[]): void {
  expect(problems.join('\n')).toBe('');
}

/**
 * The connection is lost under a stream of confirmed sends and acknowledged consumption: closed by the
 * broker side, silent, refused while reconnecting, the broker restarted; and given up for good. Needs
 * `options.connectionLoss`: a broker address and `createThrough` (the suite runs a {@link FaultProxy}),
 * or a simulated link.
 */
export function connectionLossTests(options: ConformanceOptions): void {
  const loss = options.connectionLoss;
  if (!loss || !(loss.simulated || (loss.brokerAddress && loss.createThrough))) {
    throw new ConformanceSetupError(
      'connectionLossTests needs options.connectionLoss with brokerAddress and createThrough(address, ' +
        'settings) (the suite proxies to the broker), or simulated: { create, faults }',
    );
  }
  const { describe, it, beforeEach, afterEach } = runnerFor(options);
  // A case spans a fault, the reconnection and SETTLE_MS for the stream to end.
  const caseTimeout = Math.max(60_000, options.testTimeout ?? 0);

  describe('connection loss', () => {
    let current: LossFixture | undefined;
    const fixture = (): LossFixture => {
      if (!current) throw new Error('the connection-loss fixture is only available inside a test');
      return current;
    };
    beforeEach(async () => {
      current = new LossFixture(options, loss);
      await current.open();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    /** Start the stream, and wait until a fifth of it went through before the fault. */
    async function started(name: string): Promise<Workload> {
      const work = await fixture().workload(name);
      await work.start();
      await work.deliveredAtLeast(Math.ceil(work.total / 5));
      return work;
    }

    it(
      'the broker side closes the connection: confirmed sends delivered, subscription resumed',
      async () => {
        const work = await started('closed');
        const at = Date.now();
        fixture().faults.dropAll();
        expect(await work.nextEvent('reconnected', at, SETTLE_MS)).toBeTruthy();
        await work.finish();
        report(work.recoveryProblems());
      },
      caseTimeout,
    );

    it(
      `a silent link (no FIN, no data) is noticed within the declared ${loss.livenessBound} ms, then reconnects`,
      async () => {
        const work = await started('stall');
        const at = Date.now();
        fixture().faults.stall();
        const noticed = await work.nextEvent('reconnecting', at, loss.livenessBound + 8000);
        fixture().faults.resume();
        const bound = loss.livenessBound;
        if (!noticed)
          report([`silent link not noticed within ${bound + 8000} ms (declared bound ${bound} ms)`]);
        else if (noticed.at - at > bound) {
          report([
            `silent link noticed after ${noticed.at - at} ms, beyond the declared bound of ${bound} ms`,
          ]);
        }
        expect(await work.nextEvent('reconnected', at, SETTLE_MS)).toBeTruthy();
        await work.finish();
        report(work.recoveryProblems());
      },
      caseTimeout,
    );

    it(
      'connections are refused for a while during reconnection: attempts go on, one counter',
      async () => {
        const work = await started('refused');
        const at = Date.now();
        fixture().faults.refuse();
        fixture().faults.dropAll();
        // At least one attempt is refused before connections are taken again.
        const second = await waitFor(
          () =>
            work.events.some(
              ({ event, at: when }) => when >= at && event.type === 'reconnecting' && event.attempt >= 2,
            ),
          SETTLE_MS,
          'a second reconnection attempt',
        ).then(
          () => true,
          () => false,
        );
        fixture().faults.accept();
        expect(second).toBe(true);
        expect(await work.nextEvent('reconnected', at, SETTLE_MS)).toBeTruthy();
        await work.finish();
        report(work.recoveryProblems());
      },
      caseTimeout,
    );

    if (loss.restartBroker) {
      const restart = loss.restartBroker;
      it(
        'the broker restarts: confirmed sends delivered, subscription resumed',
        async () => {
          const work = await started('restart');
          const at = Date.now();
          await restart();
          expect(await work.nextEvent('reconnected', at, SETTLE_MS * 2)).toBeTruthy();
          await work.finish();
          report(work.recoveryProblems());
        },
        caseTimeout + 60_000,
      );
    }

    it(
      `gives up after ${GIVE_UP.attempts} refused attempts: disconnected with a clear error, sends rejected, nothing left`,
      async () => {
        const before = handleCounts();
        const work = await fixture().workload('giveup', GIVE_UP);
        await work.start();
        await work.deliveredAtLeast(10);
        work.stop();
        const at = Date.now();
        fixture().faults.refuse();
        fixture().faults.dropAll();
        const waiting = [work.send(-1), work.send(-2), work.send(-3)];
        const ended = await work.nextEvent('disconnected', at, SETTLE_MS);
        const events = work.events.map((each) => each.event);
        expect(ended ? 'disconnected' : `no 'disconnected' event; stream: ${streamText(events)}`).toBe(
          'disconnected',
        );
        const error = (ended!.event as { error?: Error }).error;
        expect(error).toBeInstanceOf(Error);
        expect(error!.name).toBe('ConnectionError');
        expect(error!.message).toMatch(/connect/i);
        expect(error!.message.length).toBeGreaterThan(30);
        const attempts = events
          .filter((event) => event.type === 'reconnecting')
          .map((event) => (event as { attempt: number }).attempt);
        expect(attempts).toEqual(Array.from({ length: GIVE_UP.attempts }, (_, index) => index + 1));
        report(eventStreamProblems(events).map((problem) => `${problem}; stream: ${streamText(events)}`));
        expect(work.transport.isConnected()).toBe(false);
        // Sends waiting for the link are rejected with a connection error, at once.
        await within(Promise.all(waiting), 2000);
        const outcomes = work.sends.filter((send) => send.seq < 0).map((send) => send.outcome);
        expect(outcomes.map((outcome) => outcome.state)).toEqual(['rejected', 'rejected', 'rejected']);
        for (const outcome of outcomes) {
          if (outcome.state === 'rejected') expect(outcome.error.name).toMatch(/ConnectionError$/);
        }
        await waitFor(
          () => fixture().faults.openConnections() === 0,
          3000,
          'the link to have no connection left',
        ).catch(() => undefined);
        expect(fixture().faults.openConnections()).toBe(0);
        await sleep(200);
        expect(leakedHandles(before)).toEqual({});
        // disconnect() afterwards is a no-op.
        const count = work.events.length;
        await work.transport.disconnect();
        expect(work.events.length).toBe(count);
      },
      caseTimeout,
    );
  });
}
