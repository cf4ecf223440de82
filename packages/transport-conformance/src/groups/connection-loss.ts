import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { ReceivedHeaders, Transport, TransportEvent } from '@zocalo/workflows';
import { ZocaloError, within } from '@zocalo/workflows';
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
  /** Told the figures of each case (time to notice a stall, to reconnect, counts), e.g. console.log. */
  log?(line: string): void;
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

function isRedelivered(header: ReceivedHeaders): boolean {
  return String(header.redelivered) === 'true';
}

type SendOutcome =
  | { readonly state: 'pending' }
  | { readonly state: 'resolved' }
  | { readonly state: 'rejected'; readonly error: Error };

/** One delivery of the stream, as the callback saw it. */
interface DeliveryRecord {
  readonly seq: number;
  readonly redelivered: boolean;
  readonly at: number;
  readonly messageId: string;
}

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
  readonly deliveries: DeliveryRecord[] = [];
  private stopping = false;
  private sender: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Messages published twice (their confirmation lost with the link), after {@link problems}. */
  resentCount = 0;

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
          messageId: String(header['message-id']),
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
    const bySeq = new Map<number, DeliveryRecord[]>();
    for (const delivery of this.deliveries) {
      const copies = bySeq.get(delivery.seq) ?? [];
      copies.push(delivery);
      bySeq.set(delivery.seq, copies);
    }
    const lost = this.resolved().filter((seq) => !bySeq.has(seq));
    if (lost.length > 0) {
      problems.push(`${lost.length} confirmed send(s) never delivered: seq ${lost.slice(0, 20).join(', ')}`);
    }
    // A copy with a message-id seen before is the broker delivering it again: it must say so. A copy
    // with a new message-id is the transport publishing again a send whose confirmation the failure
    // lost (at-least-once publishing: no broker can flag it), so only sends in flight can be such.
    const unmarked = [...bySeq].filter(([, copies]) =>
      copies.some(
        (copy, index) =>
          !copy.redelivered && copies.slice(0, index).some((earlier) => earlier.messageId === copy.messageId),
      ),
    );
    if (unmarked.length > 0) {
      problems.push(
        `${unmarked.length} message(s) delivered again (same message-id) without redelivered: seq ` +
          unmarked
            .slice(0, 20)
            .map(([seq, copies]) => `${seq} (${copies.length}×)`)
            .join(', '),
      );
    }
    const resent = [...bySeq].filter(([, copies]) => new Set(copies.map((copy) => copy.messageId)).size > 1);
    this.resentCount = resent.length;
    if (resent.length > WINDOW * 2) {
      problems.push(
        `${resent.length} message(s) sent twice, more than the ${WINDOW} in flight at each failure could ` +
          `explain: seq ${resent
            .slice(0, 20)
            .map(([seq]) => seq)
            .join(', ')}`,
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

/** Fail with every problem of a case, in full (a case checks many things; each failure says which). */
function report(problems: readonly string[]): void {
  if (problems.length === 0) return;
  throw new AssertionError({
    message: `${problems.length} problem(s):\n- ${problems.join('\n- ')}`,
    actual: problems,
    expected: [],
    operator: 'deepEqual',
  });
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

    const log = (line: string): void => loss.log?.(`${options.name}: ${line}`);

    /** After a fault at `at`: reconnected, the stream finished, and what went wrong. */
    async function recovered(
      work: Workload,
      at: number,
      name: string,
      timeout = SETTLE_MS,
    ): Promise<string[]> {
      const back = await work.nextEvent('reconnected', at, timeout);
      if (!back) {
        const stream = streamText(work.events.map((each) => each.event));
        return [`no 'reconnected' within ${timeout} ms of the fault; stream: ${stream}`];
      }
      await work.finish();
      const again = work.deliveries.filter((each) => each.redelivered).length;
      const problems = work.recoveryProblems();
      log(
        `${name}: reconnected after ${back.at - at} ms; ${work.resolved().length}/${work.sends.length} sends ` +
          `confirmed, ${work.deliveries.length} deliveries (${again} marked redelivered, ` +
          `${work.resentCount} sent twice after a lost confirmation)`,
      );
      return problems;
    }

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
        report(await recovered(work, at, 'closed'));
      },
      caseTimeout,
    );

    it(
      `a silent link (no FIN, no data) is noticed within the declared ${loss.livenessBound} ms, then reconnects`,
      async () => {
        const work = await started('stall');
        const at = Date.now();
        fixture().faults.stall();
        const bound = loss.livenessBound;
        const noticed = await work.nextEvent('reconnecting', at, bound + 8000);
        fixture().faults.resume();
        const problems: string[] = [];
        if (!noticed)
          problems.push(`silent link not noticed within ${bound + 8000} ms (declared bound ${bound} ms)`);
        else {
          log(`stall: noticed after ${noticed.at - at} ms (declared bound ${bound} ms)`);
          if (noticed.at - at > bound) {
            problems.push(
              `silent link noticed after ${noticed.at - at} ms, beyond the declared bound of ${bound} ms`,
            );
          }
        }
        report([...problems, ...(await recovered(work, at, 'stall'))]);
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
        const refused = await waitFor(
          () =>
            work.events.some(
              ({ event, at: when }) => when >= at && event.type === 'reconnecting' && event.attempt >= 2,
            ),
          SETTLE_MS,
          'a second reconnection attempt',
        ).then(
          () => [],
          () => [
            `no second reconnection attempt while refused; stream: ${streamText(work.events.map((e) => e.event))}`,
          ],
        );
        fixture().faults.accept();
        report([...refused, ...(await recovered(work, at, 'refused'))]);
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
          log(`restart: broker back after ${Date.now() - at} ms`);
          report(await recovered(work, at, 'restart', SETTLE_MS * 2));
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
        const stream = `stream: ${streamText(events)}`;
        const problems: string[] = [];
        const error = (ended?.event as { error?: Error } | undefined)?.error;
        if (!ended) problems.push(`no 'disconnected' event within ${SETTLE_MS} ms; ${stream}`);
        else if (!(error instanceof Error)) problems.push("'disconnected' carries no error");
        else {
          log(`give-up: disconnected after ${ended.at - at} ms: ${error.name}: ${error.message}`);
          if (error.name !== 'ConnectionError')
            problems.push(`the error is a ${error.name}, not a ConnectionError`);
          if (!/connect/i.test(error.message) || error.message.length < 30) {
            problems.push(`the error does not say what to do: ${JSON.stringify(error.message)}`);
          }
        }
        const attempts = events.flatMap((event) => (event.type === 'reconnecting' ? [event.attempt] : []));
        const due = Array.from({ length: GIVE_UP.attempts }, (_, index) => index + 1);
        if (attempts.join() !== due.join()) {
          problems.push(
            `reconnecting attempts ${attempts.join(', ')}, where ${due.join(', ')} were configured; ${stream}`,
          );
        }
        problems.push(...eventStreamProblems(events).map((problem) => `${problem}; ${stream}`));
        if (work.transport.isConnected()) problems.push('isConnected() is still true');
        // Sends waiting for the link are rejected with a connection error, at once.
        await within(Promise.all(waiting), 2000);
        for (const send of work.sends.filter((each) => each.seq < 0)) {
          if (send.outcome.state !== 'rejected')
            problems.push(`a send waiting for the link is ${send.outcome.state}`);
          else if (!/ConnectionError$/.test(send.outcome.error.name)) {
            problems.push(
              `a waiting send was rejected with ${send.outcome.error.name}: ${send.outcome.error.message}`,
            );
          }
        }
        await waitFor(() => fixture().faults.openConnections() === 0, 3000, 'no connection').catch(
          () => undefined,
        );
        const open = fixture().faults.openConnections();
        if (open !== 0) problems.push(`${open} connection(s) still open 3 s after giving up`);
        // A timer that is about to fire (a socket's close handshake) is no leak; one still there 2 s on is.
        const clean = await waitFor(
          () => Object.keys(leakedHandles(before)).length === 0,
          2000,
          'no handles',
        ).then(
          () => true,
          () => false,
        );
        if (!clean)
          problems.push(`handles left 2 s after giving up: ${JSON.stringify(leakedHandles(before))}`);
        // disconnect() afterwards is a no-op.
        const count = work.events.length;
        await work.transport.disconnect();
        if (work.events.length !== count) problems.push('disconnect() after giving up emitted events');
        report(problems);
      },
      caseTimeout,
    );
  });
}
