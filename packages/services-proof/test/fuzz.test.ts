/**
 * Hostile input on the wire, as an outside tester sends it, against a running service (the service
 * runtime with its defaults) on memory, ActiveMQ and RabbitMQ. Seeded and bounded: property-based
 * bodies and headers (fast-check), plus raw STOMP frames written to ActiveMQ through a socket of our
 * own. For every input: the service stays up, and the message is processed, dead-lettered with a
 * reason, or refused at the sender with a typed error — never lost, never thrown — and the good
 * messages sent between the hostile ones are each processed exactly once. The fourth class, hostile
 * processing requests to a running Dispatcher, is fuzz-dispatcher.test.ts.
 */
import { connect as connectSocket } from 'node:net';
import fc from 'fast-check';
import { BROKERS, requireBroker, sleep, until } from '@zocalo/test-brokers';
import type { MessageHeaders, Transport } from '@zocalo/workflows';
import {
  InvalidArgumentError,
  RecordingLogger,
  ServiceRuntime,
  ServiceState,
  defineService,
} from '@zocalo/workflows';
import type { Received, Site } from './helpers';
import {
  ACTIVEMQ,
  FUZZ_RUNS,
  FUZZ_SEED,
  MEMORY,
  QueueNames,
  RABBITMQ,
  closeAll,
  collect,
  configurationOf,
  connect,
} from './helpers';

jest.setTimeout(180_000);

interface Job {
  readonly kind: 'job';
  readonly n: number;
}

function isJob(value: unknown): value is Job {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Job).kind === 'job' &&
    typeof (value as Job).n === 'number'
  );
}

/** Counts per input class, printed at the end. */
interface Tally {
  sent: number;
  refused: number;
  refusedBy: Set<string>;
}

const PROTOTYPE_NAMES = ['hasOwnProperty', '__proto__', 'constructor', 'toString', 'valueOf', 'prototype'];

/** Bodies nobody would send on purpose. */
const hostileBodies: fc.Arbitrary<{ raw: boolean; body: unknown }> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((body) => ({ raw: false, body })),
  fc.string({ unit: 'binary', maxLength: 300 }).map((body) => ({ raw: true, body })),
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ raw: true, body: Buffer.from(bytes) })),
  fc.constantFrom<{ raw: boolean; body: unknown }>(
    { raw: true, body: '' },
    { raw: true, body: '[' },
    { raw: true, body: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}' },
    { raw: true, body: `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
    { raw: true, body: '{"nan": NaN, "big": 162182994129803994, "inf": -Infinity}' },
    { raw: true, body: Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80, 0x00, 0x7b]) },
    { raw: true, body: '"\\ud800 lone surrogate"' },
    { raw: false, body: 'x'.repeat(1_000_000) },
    { raw: false, body: nested(600) },
    { raw: false, body: { kind: 'job' } },
  ),
);

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

/** Header sets nobody would send on purpose (on good job bodies: these must be processed or refused). */
const hostileHeaders: fc.Arbitrary<MessageHeaders> = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...PROTOTYPE_NAMES)),
    fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.integer(), fc.boolean(), fc.double()),
    { maxKeys: 8 },
  ),
  fc.constantFrom<MessageHeaders>(
    { '': 'empty name' },
    { long: 'x'.repeat(20_000) },
    { escaped: '\\n'.repeat(5_200) },
    { 'new\nline': 'a:b\nc\rd\\e', colon: 'x:y' },
    Object.fromEntries(Array.from({ length: 1100 }, (_, index) => [`h${index}`, index])),
    Object.fromEntries(PROTOTYPE_NAMES.map((name) => [name, `evil-${name}`])),
  ),
);

/** The service under attack, running: `{kind: 'job', n}` → `{n}` on `output`; anything else rejected. */
async function startGuard(
  transport: Transport,
  logger: RecordingLogger,
  input: string,
  output: string,
): Promise<ServiceRuntime> {
  const runtime = new ServiceRuntime(
    defineService({
      name: 'Guard',
      initializing: async (ctx) => {
        await ctx.subscribe(input, async (msg) => {
          if (!isJob(msg.message)) return msg.reject(`not a job: ${typeof msg.message}`);
          await msg.send(output, { n: msg.message.n });
        });
      },
    }),
    { transport, logger, commandTopic: false },
  );
  void runtime.run().catch(() => undefined);
  await until(() => runtime.state === ServiceState.IDLE, 15_000, 'the service to start');
  return runtime;
}

describe.each([MEMORY, ACTIVEMQ, RABBITMQ])('hostile input on $label', (site: Site) => {
  const opened: Transport[] = [];
  const queues = new QueueNames(site);
  let runtime: ServiceRuntime | undefined;

  beforeAll(async () => {
    if (site.broker) await requireBroker(site.broker);
  });
  afterEach(async () => {
    runtime?.stop();
    await runtime?.run().catch(() => undefined);
    runtime = undefined;
    await closeAll(opened);
    await queues.remove();
  });

  it('bodies and headers: the service stays up; each input processed, dead-lettered or refused; good ones once', async () => {
    const input = queues.name('test.proof.fuzz.in');
    const output = queues.name('test.proof.fuzz.out');
    const dlq = queues.track(site.broker === 'amqp' ? `dlq.${input}` : `DLQ.${input}`);
    const logger = new RecordingLogger();
    const transport = await configurationOf(site).createTransport({ logger: new RecordingLogger() });
    const events: string[] = [];
    transport.onEvent((event) => events.push(event.type));
    runtime = await startGuard(transport, logger, input, output);

    const client = await connect(site, opened);
    const outputs: Received[] = await collect(client, output);
    const dead: Received[] = await collect(client, dlq);
    let next = 0;
    const good: number[] = [];
    const jobs: number[] = []; // hostile headers on job bodies: processed unless refused
    let deadExpected = 0;
    const tally = {
      bodies: { sent: 0, refused: 0, refusedBy: new Set<string>() } as Tally,
      headers: { sent: 0, refused: 0, refusedBy: new Set<string>() } as Tally,
    };

    /** Send; a refusal must be a typed error. Returns whether it was sent. */
    const attempt = async (tallyOf: Tally, sending: Promise<void>): Promise<boolean> => {
      tallyOf.sent += 1;
      try {
        await sending;
        return true;
      } catch (error) {
        // Refused at the sender: a typed error about the message itself, never a connection's fault.
        expect(error).toBeInstanceOf(InvalidArgumentError);
        tallyOf.refused += 1;
        tallyOf.refusedBy.add((error as Error).name);
        return false;
      }
    };
    const sendGood = async (): Promise<void> => {
      const n = next++;
      good.push(n);
      await client.send(input, { kind: 'job', n });
    };

    await fc.assert(
      fc.asyncProperty(hostileBodies, async ({ raw, body }) => {
        const sending = raw ? client.rawSend(input, body as string | Buffer) : client.send(input, body);
        if (await attempt(tally.bodies, sending)) {
          if (isJob(body)) jobs.push((body as Job).n);
          else deadExpected += 1;
        }
        await sendGood();
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );
    await fc.assert(
      fc.asyncProperty(hostileHeaders, async (headers) => {
        const n = next++;
        if (await attempt(tally.headers, client.send(input, { kind: 'job', n }, { headers }))) jobs.push(n);
        await sendGood();
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );

    const expected = [...good, ...jobs].sort((a, b) => a - b);
    await until(
      () => outputs.length >= expected.length && dead.length >= deadExpected,
      90_000,
      `${expected.length} outputs (got ${outputs.length}) and ${deadExpected} dead letters (got ${dead.length})`,
    );
    await sleep(1500);
    process.stdout.write(
      `${site.label} fuzz (seed ${FUZZ_SEED}): bodies ${tally.bodies.sent} sent, ${tally.bodies.refused} refused at the sender ` +
        `(${[...tally.bodies.refusedBy].join(', ') || 'none'}), ${dead.length} dead-lettered with a reason; ` +
        `headers ${tally.headers.sent} sent, ${tally.headers.refused} refused (${[...tally.headers.refusedBy].join(', ') || 'none'}); ` +
        `${good.length} good messages, ${outputs.length} outputs\n`,
    );
    expect(runtime.state).not.toBe(ServiceState.ERROR);
    expect(events.filter((event) => event === 'disconnected')).toEqual([]);
    const seen = outputs.map((received) => (received.message as { n: number }).n).sort((a, b) => a - b);
    expect(seen).toEqual(expected);
    expect(dead).toHaveLength(deadExpected);
    // Every dead letter was logged with its reason.
    const rejected = logger
      .messages('warn')
      .filter((message) => /rejected and dead-lettered: not a job/.test(message));
    expect(rejected).toHaveLength(deadExpected);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  if (site.broker === 'stomp') {
    it('raw STOMP frames from a socket of our own: accepted ones processed or dead-lettered, the service stays up', async () => {
      const input = queues.name('test.proof.fuzz.raw');
      const output = queues.name('test.proof.fuzz.rawout');
      const transportLog = new RecordingLogger();
      const transport = await configurationOf(site).createTransport({ logger: transportLog });
      runtime = await startGuard(transport, new RecordingLogger(), input, output);
      const client = await connect(site, opened);
      const outputs: Received[] = await collect(client, output);

      // Header lines as bytes: names and values with STOMP's escapes, bad escapes, colons, NULs.
      const headerLine = fc
        .tuple(
          fc.oneof(
            fc.string({ maxLength: 16 }),
            fc.constantFrom(...PROTOTYPE_NAMES, 'content-length', 'receipt'),
          ),
          fc.string({ unit: 'binary', maxLength: 40 }),
        )
        .map(([name, value]) => `${name.replace(/[\n:\0]/g, '_')}:${value.replace(/[\n\0]/g, '\\n')}`);
      let accepted = 0;
      let refused = 0;
      const acceptedJobs: number[] = [];
      let next = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(headerLine, { maxLength: 12 }), async (lines) => {
          const n = next++;
          const body = JSON.stringify({ kind: 'job', n });
          const frame =
            `SEND\ndestination:/queue/${input}\nreceipt:r${n}\ncontent-length:${Buffer.byteLength(body)}\n` +
            `${lines.join('\n')}${lines.length ? '\n' : ''}\n${body}\0`;
          const answer = await rawFrame(frame, `r${n}`);
          if (answer === 'receipt') {
            accepted += 1;
            acceptedJobs.push(n);
          } else refused += 1;
        }),
        { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
      );
      await until(
        () => outputs.length >= acceptedJobs.length,
        60_000,
        `${acceptedJobs.length} outputs`,
      ).catch((error: unknown) => {
        throw new Error(
          `${(error as Error).message}; transport said: ${[...transportLog.messages('error'), ...transportLog.messages('warn')].slice(0, 5).join(' | ')}`,
        );
      });
      await sleep(1000);
      process.stdout.write(
        `ActiveMQ raw frames (seed ${FUZZ_SEED}): ${accepted + refused} sent, ${accepted} accepted by the broker and processed, ` +
          `${refused} refused by the broker\n`,
      );
      expect(runtime.state).not.toBe(ServiceState.ERROR);
      expect(outputs.map((received) => (received.message as { n: number }).n).sort((a, b) => a - b)).toEqual(
        acceptedJobs,
      );
    });
  }
});

/** Write one frame on a fresh socket (CONNECT first); resolves with how ActiveMQ answered it. */
function rawFrame(frame: string, receipt: string): Promise<'receipt' | 'error'> {
  return new Promise((resolve) => {
    const socket = connectSocket({ host: BROKERS.stomp.host, port: BROKERS.stomp.port });
    let answer = '';
    const done = (outcome: 'receipt' | 'error'): void => {
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('error'), 5000);
    socket.on('error', () => done('error'));
    socket.on('close', () => {
      clearTimeout(timer);
      done(answer.includes(`receipt-id:${receipt}`) ? 'receipt' : 'error');
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes(`receipt-id:${receipt}`)) {
        clearTimeout(timer);
        socket.end('DISCONNECT\n\n\0');
        done('receipt');
      } else if (answer.includes('\nERROR') || answer.startsWith('ERROR')) {
        clearTimeout(timer);
        done('error');
      }
    });
    socket.on('connect', () => {
      socket.write(
        `CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${BROKERS.stomp.user}\npasscode:${BROKERS.stomp.pass}\n\n\0`,
      );
      socket.write(frame);
    });
  });
}
