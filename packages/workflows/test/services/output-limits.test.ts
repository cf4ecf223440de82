/**
 * The output limits of one message (#24): the send that would pass `maxOutputsPerMessage` or
 * `maxOutputBytesPerMessage` is refused before it is encoded or sent, the transaction is aborted (none
 * of the outputs go out) and the message is dead-lettered once with the reason.
 */
import { until } from '@zocalo/test-brokers';
import type { MessageHandler, ServiceRuntimeOptions, ServiceSubscribeOptions } from '../../src';
import {
  DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE,
  DEFAULT_MAX_OUTPUTS_PER_MESSAGE,
  InvalidArgumentError,
  OutputLimitError,
  PermanentError,
  ServiceRuntime,
  ServiceState,
  defineService,
} from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
/** Sends to `results` that reached the service's transport (before it encodes them). */
let sends: number;
beforeEach(async () => {
  env = await setup();
  sends = 0;
  env.transport.use({
    send: (outgoing, next) => {
      if (outgoing.destination === 'results') sends++;
      return next(outgoing);
    },
  });
});
afterEach(() => env.close());

async function collect(queue: string): Promise<unknown[]> {
  const received: unknown[] = [];
  await env.client.subscribe(queue, (_header, message) => {
    received.push(message);
  });
  return received;
}

/** Run a one-subscription service on `work`, send `messages`, wait for `done()`; returns it stopped. */
async function runUntil(
  handler: MessageHandler,
  done: () => boolean,
  runtimeOptions: Partial<ServiceRuntimeOptions>,
  messages: readonly unknown[] = [{ n: 1 }],
  options: ServiceSubscribeOptions = {},
): Promise<void> {
  const runtime = new ServiceRuntime(
    defineService({
      name: 'Fanout',
      initializing: async (ctx) => {
        await ctx.subscribe('work', handler, options);
      },
    }),
    env.options(runtimeOptions),
  );
  const running = runtime.run();
  await until(() => runtime.state === ServiceState.IDLE);
  for (const message of messages) await env.client.send('work', message);
  await until(done);
  await new Promise((resolve) => setTimeout(resolve, 30)); // room for a redelivery that must not come
  runtime.stop();
  await running;
}

/** The one error record of a dead-lettered message. */
function deadLetterRecord(): { reason: string; err: unknown } {
  const records = env.logger.at('error');
  expect(records.map((record) => record.msg)).toEqual([
    expect.stringMatching(/no retry can cure; message rejected and dead-lettered: OutputLimitError: /),
  ]);
  return records[0].fields as { reason: string; err: unknown };
}

describe('output limits of one message', () => {
  test('count: the send past maxOutputsPerMessage is refused before it is encoded, the transaction aborted, the message dead-lettered once; the message behind it processed', async () => {
    const outputs = await collect('results');
    const attempts: number[] = [];
    let encodedFourth = false;
    await runUntil(
      async (msg) => {
        const { n, count } = msg.message as { n: number; count: number };
        attempts.push(n);
        for (let index = 0; index < count; index++) {
          const body =
            index === 3
              ? {
                  toJSON: () => {
                    encodedFourth = true;
                    return { n, index };
                  },
                }
              : { n, index };
          await msg.send('results', body);
        }
      },
      () => env.broker.stats('DLQ.work').depth === 1 && outputs.length === 2,
      { maxOutputsPerMessage: 3 },
      [
        { n: 1, count: 5 },
        { n: 2, count: 2 },
      ],
    );
    expect(attempts).toEqual([1, 2]);
    expect(encodedFourth).toBe(false);
    expect(sends).toBe(3 + 2); // the refused one never reached the transport
    expect(outputs).toEqual([
      { n: 2, index: 0 },
      { n: 2, index: 1 },
    ]);
    const [dead] = env.broker.queue('DLQ.work').takeAll();
    expect(dead.headers).toMatchObject({ 'dlq-reason': 'rejected' });
    const { reason, err } = deadLetterRecord();
    expect(reason).toBe(
      'OutputLimitError: maxOutputsPerMessage limits the outputs of one message to 3 messages; ' +
        'this send would make them 4 messages, so it was refused before it was sent. Send less (one ' +
        'message listing the items rather than a message per item, a file path rather than the data), ' +
        "or raise the service runtime's maxOutputsPerMessage (zocalo service --max-outputs-per-message)",
    );
    expect(err).toBeInstanceOf(OutputLimitError);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({
      limit: 'outputs',
      maximum: 3,
      setting: 'maxOutputsPerMessage',
      attempted: 4,
    });
  });

  test('bytes: the send past maxOutputBytesPerMessage is refused, none of the outputs sent', async () => {
    const outputs = await collect('results');
    const text = 'x'.repeat(990); // {"text":"..."}: 1001 bytes
    let seen = 0;
    await runUntil(
      async (msg) => {
        seen = msg.outputBudget.outputBytes;
        for (let index = 0; index < 5; index++) {
          await msg.send('results', { text });
          seen = msg.outputBudget.outputBytes;
        }
      },
      () => env.broker.stats('DLQ.work').depth === 1,
      { maxOutputBytesPerMessage: 2500 },
    );
    expect(seen).toBe(2002);
    expect(sends).toBe(2);
    expect(outputs).toEqual([]);
    const { reason, err } = deadLetterRecord();
    expect(reason).toMatch(
      /^OutputLimitError: maxOutputBytesPerMessage limits the outputs of one message to 2500 bytes; this send would make them 3003 bytes, so it was refused before it was sent\. .*--max-output-bytes-per-message\)$/,
    );
    expect(err).toMatchObject({ limit: 'bytes', maximum: 2500, attempted: 3003 });
  });

  test('a handler that catches the refusal still has its message dead-lettered and none of its outputs sent', async () => {
    const outputs = await collect('results');
    let caught: unknown;
    await runUntil(
      async (msg) => {
        await msg.send('results', 1);
        await msg.send('results', 2).catch((error: unknown) => (caught = error));
      },
      () => env.broker.stats('DLQ.work').depth === 1,
      { maxOutputsPerMessage: 1 },
    );
    expect(caught).toBeInstanceOf(OutputLimitError);
    expect(outputs).toEqual([]);
    expect(env.broker.stats('work')).toMatchObject({ depth: 0, inFlight: 0 });
    deadLetterRecord();
  });

  test('without a transaction the outputs before the limit are out; every later send is refused, the message dead-lettered once', async () => {
    const outputs = await collect('results');
    const refused: unknown[] = [];
    await runUntil(
      async (msg) => {
        for (const body of ['a', 'b', 'c', 'd']) {
          await msg.send('results', body).catch((error: unknown) => refused.push(error));
        }
      },
      () => env.broker.stats('DLQ.work').depth === 1,
      { maxOutputsPerMessage: 2 },
      [{ n: 1 }],
      { transaction: false },
    );
    expect(outputs).toEqual(['a', 'b']);
    // Refused once, and the same refusal for the send after it, though it alone would fit the count.
    expect(refused).toHaveLength(2);
    expect(refused[1]).toBe(refused[0]);
    deadLetterRecord();
  });

  test('msg.send, msg.broadcast and the sends of msg.transport all count, each once', async () => {
    const outputs = await collect('results');
    const counts: number[] = [];
    let raw = 0;
    await runUntil(
      async (msg) => {
        await msg.send('results', 'one');
        await msg.broadcast('news', 'two');
        await msg.transport.send('results', 'three', { transaction: msg.transaction });
        await msg.transport.rawSend('results', Buffer.from('four'), { transaction: msg.transaction });
        raw = msg.outputBudget.outputBytes;
        counts.push(msg.outputBudget.outputs);
        await msg.transport.broadcast('news', 'five');
      },
      () => env.broker.stats('DLQ.work').depth === 1,
      { maxOutputsPerMessage: 4 },
    );
    expect(counts).toEqual([4]);
    expect(raw).toBe('"one"'.length + '"two"'.length + '"three"'.length + 'four'.length);
    expect(outputs).toEqual([]);
    expect(deadLetterRecord().err).toMatchObject({ attempted: 5 });
  });

  test('defaults: 10,000 messages and 256 MiB; the settings are checked', async () => {
    expect(DEFAULT_MAX_OUTPUTS_PER_MESSAGE).toBe(10_000);
    expect(DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE).toBe(256 * 1024 * 1024);
    let budget: { maxOutputs: number; maxOutputBytes: number } | undefined;
    await runUntil(
      (msg) => {
        budget = { maxOutputs: msg.outputBudget.maxOutputs, maxOutputBytes: msg.outputBudget.maxOutputBytes };
      },
      () => budget !== undefined,
      {},
    );
    expect(budget).toEqual({ maxOutputs: 10_000, maxOutputBytes: 256 * 1024 * 1024 });
    const service = defineService({ name: 'Checked' });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ServiceRuntime(service, env.options({ maxOutputsPerMessage: bad }))).toThrow(
        InvalidArgumentError,
      );
      expect(() => new ServiceRuntime(service, env.options({ maxOutputBytesPerMessage: bad }))).toThrow(
        /^maxOutputBytesPerMessage must be a whole number >= 1 \(or Infinity for no limit\)/,
      );
    }
    expect(() => new ServiceRuntime(service, env.options({ maxOutputsPerMessage: Infinity }))).not.toThrow();
  });
});
