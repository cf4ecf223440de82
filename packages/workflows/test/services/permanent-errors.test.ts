import { runInNewContext } from 'node:vm';
import { until } from '@zocalo/test-brokers';
import type { MessageHandler, ServiceSubscribeOptions } from '../../src';
import {
  ConnectionError,
  DestinationNotFoundError,
  InvalidArgumentError,
  MessageRefusedError,
  PERMANENT_ERROR_CODE,
  PermanentError,
  ServiceRuntime,
  ServiceState,
  ZocaloError,
  defineService,
  isPermanentError,
} from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

async function collect(queue: string): Promise<unknown[]> {
  const received: unknown[] = [];
  await env.client.subscribe(queue, (_header, message) => {
    received.push(message);
  });
  return received;
}

/** Run a one-subscription service on `work` until `done()`; returns the runtime, stopped. */
async function runUntil(
  handler: MessageHandler,
  done: () => boolean,
  options: ServiceSubscribeOptions = {},
  send: () => Promise<void> = () => env.client.send('work', { n: 1 }),
): Promise<ServiceRuntime> {
  const runtime = new ServiceRuntime(
    defineService({
      name: 'Fragile',
      initializing: async (ctx) => {
        await ctx.subscribe('work', handler, options);
      },
    }),
    { ...env.options(), metrics: true },
  );
  const running = runtime.run();
  await until(() => runtime.state === ServiceState.IDLE);
  await send();
  await until(done);
  // Room for a redelivery that must not come.
  await new Promise((resolve) => setTimeout(resolve, 50));
  runtime.stop();
  await running;
  return runtime;
}

describe('isPermanentError', () => {
  test.each<[string, unknown]>([
    ['InvalidArgumentError', new InvalidArgumentError('bad queue name')],
    ['MessageRefusedError', new MessageRefusedError('stomp', 'header "x" is 20480 bytes', 'at most 10240')],
    ['PermanentError', new PermanentError('the file is corrupt')],
    ['RangeError', new RangeError('Maximum call stack size exceeded')],
    ['a RangeError of another realm', runInNewContext('new RangeError("Invalid string length")')],
    ['an error with the permanent code', Object.assign(new Error('marked'), { code: PERMANENT_ERROR_CODE })],
  ])('%s is permanent', (_name, error) => {
    expect(isPermanentError(error)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['Error', new Error('dependency down')],
    ['TypeError', new TypeError('x is undefined')],
    ['ConnectionError', new ConnectionError('lost the broker')],
    ['DestinationNotFoundError', new DestinationNotFoundError('next.queue', 'amqp')],
    ['ZocaloError', new ZocaloError('something')],
    ['a string', 'failed'],
    ['undefined', undefined],
  ])('%s is transient', (_name, error) => {
    expect(isPermanentError(error)).toBe(false);
  });

  test('PermanentError is a ZocaloError with a stable code and keeps its cause', () => {
    const cause = new Error('EIO');
    const error = new PermanentError('frame 7 is corrupt; re-collect it', { cause });
    expect(error).toBeInstanceOf(ZocaloError);
    expect(error.code).toBe('ZOCALO_PERMANENT');
    expect(error.name).toBe('PermanentError');
    expect(error.cause).toBe(cause);
  });
});

describe('a handler error no retry can cure', () => {
  test('in a transaction: dead-lettered on the first delivery, none of its outputs sent, the reason logged once', async () => {
    const outputs = await collect('results');
    let attempts = 0;
    const runtime = await runUntil(
      async (msg) => {
        attempts++;
        await msg.send('results', { partial: true });
        const loop: Record<string, unknown> = {};
        loop.self = loop;
        await msg.send('results', loop); // not JSON: InvalidArgumentError
      },
      () => env.broker.stats('DLQ.work').depth === 1,
    );
    expect(attempts).toBe(1);
    expect(outputs).toEqual([]);
    expect(env.broker.stats('work')).toMatchObject({ depth: 0, inFlight: 0 });
    const [dead] = env.broker.queue('DLQ.work').takeAll();
    expect(dead.headers).toMatchObject({ 'dlq-reason': 'rejected' });
    const records = env.logger.records.filter(
      (record) => record.level === 'error' || record.level === 'warn',
    );
    expect(records).toHaveLength(1);
    expect(records[0].level).toBe('error');
    expect(records[0].msg).toMatch(
      /^message handler failed with an error no retry can cure; message rejected and dead-lettered: InvalidArgumentError: message cannot be serialised as JSON/,
    );
    expect(records[0].fields).toMatchObject({
      destination: 'work',
      messageId: dead.id,
      service: 'Fragile',
      reason: expect.stringMatching(/^InvalidArgumentError: /),
    });
    expect(records[0].fields.err).toBeInstanceOf(InvalidArgumentError);
    const failed = await runtime.metrics!.registry.getSingleMetricAsString('zocalo_messages_failed_total');
    expect(failed).toContain('outcome="rejected"} 1');
    expect(failed).not.toMatch(/outcome="error"\} \d/);
  });

  test('a reject() or ack() the transaction carried is undone by the abort: dead-lettered once', async () => {
    for (const settle of ['ack', 'reject'] as const) {
      await env.close();
      env = await setup();
      let attempts = 0;
      await runUntil(
        async (msg) => {
          attempts++;
          await (settle === 'ack' ? msg.ack() : msg.reject('bad'));
          throw new RangeError('Invalid array length');
        },
        () => env.broker.stats('DLQ.work').depth === 1,
      );
      expect(attempts).toBe(1);
      expect(env.broker.stats('DLQ.work').depth).toBe(1);
      expect(env.logger.messages('warn')).toEqual([]);
      expect(env.logger.messages('error')).toEqual([
        'message handler failed with an error no retry can cure; message rejected and dead-lettered: RangeError: Invalid array length',
      ]);
    }
  });

  test('without a transaction: the outputs already sent stay sent, the message is dead-lettered once', async () => {
    const outputs = await collect('results');
    let attempts = 0;
    await runUntil(
      async (msg) => {
        attempts++;
        await msg.send('results', { partial: true });
        throw new PermanentError('the image is corrupt');
      },
      () => env.broker.stats('DLQ.work').depth === 1,
      { transaction: false },
    );
    expect(attempts).toBe(1);
    expect(outputs).toEqual([{ partial: true }]);
    expect(env.logger.messages('error')).toEqual([
      'message handler failed with an error no retry can cure; message rejected and dead-lettered: PermanentError: the image is corrupt',
    ]);
  });

  test('without a transaction, after the handler acked: nothing more to settle, the error is logged', async () => {
    let attempts = 0;
    await runUntil(
      async (msg) => {
        attempts++;
        await msg.ack();
        throw new PermanentError('after the ack');
      },
      () => attempts === 1 && env.broker.stats('work').inFlight === 0,
      { transaction: false },
    );
    expect(env.broker.stats('DLQ.work').depth).toBe(0);
    expect(env.logger.messages('error')).toEqual(['message handler failed']);
  });

  test('a transient error after it still gets its message released, and the back-off starts over after a dead letter', async () => {
    const seen: string[] = [];
    await runUntil(
      async (msg) => {
        const { kind } = msg.message as { kind: string };
        seen.push(kind);
        if (kind === 'transient' && seen.filter((entry) => entry === 'transient').length === 1) {
          throw new Error('passing fault');
        }
        if (kind === 'permanent') throw new PermanentError('no');
      },
      () => seen.length === 3,
      {},
      async () => {
        await env.client.send('work', { kind: 'transient' });
        await env.client.send('work', { kind: 'permanent' });
      },
    );
    expect(seen).toEqual(['transient', 'transient', 'permanent']);
    expect(env.broker.stats('DLQ.work').depth).toBe(1);
    const failures = env.logger.at('error');
    expect(failures.map((record) => record.msg)).toEqual([
      'message handler failed; transaction aborted, message released for redelivery',
      'message handler failed with an error no retry can cure; message rejected and dead-lettered: PermanentError: no',
    ]);
    expect(failures[0].fields.redeliveryDelay).toBe(0.1);
  });

  test('on a subscription without acknowledgement there is nothing to reject: logged as a failure', async () => {
    let attempts = 0;
    const runtime = new ServiceRuntime(
      defineService({
        name: 'Listener',
        initializing: async (ctx) => {
          await ctx.subscribeBroadcast('news', () => {
            attempts++;
            throw new PermanentError('no');
          });
        },
      }),
      env.options(),
    );
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.broadcast('news', 1);
    await until(() => attempts === 1 && env.logger.at('error').length === 1);
    runtime.stop();
    await running;
    expect(env.logger.messages('error')).toEqual(['message handler failed']);
  });
});
