/**
 * The redelivery back-off: a message whose handler fails is held back (still in hand) before it is
 * released, 0.1 s after the first failure in a row, doubling up to 5 s, so a message that keeps
 * failing never spins; a success starts it over, and a shutdown cuts the wait short.
 */
import { until } from '@zocalo/test-brokers';
import {
  InvalidArgumentError,
  MemoryTransport,
  ServiceRuntime,
  ServiceState,
  defineService,
} from '../../src';
import type { Setup } from './helpers';
import { FakeClock, flush, setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

/** Advance the fake clock in 1 ms steps until `predicate` holds; returns the ms it took. */
async function advanceUntil(clock: FakeClock, predicate: () => boolean, limit = 10_000): Promise<number> {
  let elapsed = 0;
  while (!predicate()) {
    if (elapsed >= limit) throw new Error(`condition not met within ${limit} ms of fake time`);
    await clock.advance(1);
    elapsed++;
  }
  return elapsed;
}

describe('redelivery back-off', () => {
  test('a message that keeps failing is released after 0.1, 0.2, 0.4 s, ..., capped; a success starts over', async () => {
    const clock = new FakeClock();
    const attempts: string[] = [];
    let failuresLeft = 5; // the memory broker's delivery limit allows 6 deliveries
    const service = defineService({
      name: 'Stubborn',
      initializing: async (ctx) => {
        await ctx.subscribe('work', (msg) => {
          attempts.push(String(msg.message));
          if (msg.message === 'poison' && failuresLeft-- > 0) throw new Error('next queue missing');
          if (msg.message === 'second' && msg.header.redelivered !== true) throw new Error('fails once');
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ clock, redeliveryBackoff: { maxDelay: 0.5 } }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 'poison');
    await until(() => attempts.length === 1);

    // No redelivery before the delay is up, then one at once.
    const gaps: number[] = [];
    for (let attempt = 2; attempt <= 6; attempt++) {
      gaps.push(await advanceUntil(clock, () => attempts.length === attempt));
      await flush();
      expect(attempts).toHaveLength(attempt);
    }
    expect(gaps).toEqual([100, 200, 400, 500, 500]);
    expect(attempts.every((body) => body === 'poison')).toBe(true);

    // The 6th attempt succeeded: the next failure waits 0.1 s again.
    await env.client.send('work', 'second');
    await until(() => attempts.length === 7);
    expect(await advanceUntil(clock, () => attempts.length === 8)).toBe(100);
    expect(env.broker.stats('DLQ.work').depth).toBe(0);

    const failures = env.logger.records.filter((entry) => entry.msg.startsWith('message handler failed'));
    expect(failures.map((entry) => entry.fields.redeliveryDelay)).toEqual([0.1, 0.2, 0.4, 0.5, 0.5, 0.1]);
    runtime.stop();
    await running;
  });

  test('the message waiting out its back-off is still in hand: nothing else is handled meanwhile', async () => {
    const clock = new FakeClock();
    const handled: string[] = [];
    let failed = false;
    const service = defineService({
      name: 'Serial',
      initializing: async (ctx) => {
        const handler = (msg: { message: unknown }): void => {
          handled.push(String(msg.message));
          if (msg.message === 'a' && !failed) {
            failed = true;
            throw new Error('passing fault');
          }
        };
        await ctx.subscribe('a', handler);
        await ctx.subscribe('b', handler);
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ clock }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('a', 'a');
    await until(() => handled.length === 1);
    await env.client.send('b', 'b');
    await clock.advance(99);
    expect(handled).toEqual(['a']);
    expect(runtime.state).toBe(ServiceState.PROCESSING);
    await clock.advance(1);
    await until(() => handled.length === 3);
    expect(handled.sort()).toEqual(['a', 'a', 'b']);
    runtime.stop();
    await running;
  });

  test('a shutdown does not wait out a back-off: the message is released at once for another instance', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const service = defineService({
      name: 'Failing',
      initializing: async (ctx) => {
        await ctx.subscribe('work', () => {
          attempts++;
          throw new Error('always');
        });
      },
    });
    const runtime = new ServiceRuntime(
      service,
      env.options({ clock, redeliveryBackoff: { initialDelay: 3600, maxDelay: 3600 } }),
    );
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 'job');
    await until(() => attempts === 1);
    await flush();
    runtime.stop();
    await running; // resolves without the fake clock moving: the hour-long wait was cut short
    expect(runtime.state).toBe(ServiceState.END);

    const second = new MemoryTransport({ broker: env.broker });
    await second.connect();
    const redelivered: unknown[] = [];
    await second.subscribe('work', (header, message) => {
      redelivered.push([message, header.redelivered]);
    });
    await until(() => redelivered.length === 1);
    expect(redelivered).toEqual([['job', true]]);
    await second.disconnect();
  });

  test('redeliveryBackoff: false releases at once; bad settings are refused with what to do', async () => {
    let attempts = 0;
    const service = defineService({
      name: 'Spinning',
      initializing: async (ctx) => {
        await ctx.subscribe('work', () => {
          attempts++;
          throw new Error('always');
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ redeliveryBackoff: false }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 'poison');
    // The memory broker's limit (5) dead-letters it after 6 quick attempts.
    await until(() => env.broker.stats('DLQ.work').depth === 1, 1000);
    expect(attempts).toBe(env.broker.deliveryLimit + 1);
    runtime.stop();
    await running;

    expect(
      () => new ServiceRuntime(service, env.options({ redeliveryBackoff: { initialDelay: -1 } })),
    ).toThrow(InvalidArgumentError);
    expect(
      () => new ServiceRuntime(service, env.options({ redeliveryBackoff: { maxDelay: Number.NaN } })),
    ).toThrow(
      'redeliveryBackoff.maxDelay must be a number of seconds >= 0, got NaN; use redeliveryBackoff: false for none',
    );
  });
});
