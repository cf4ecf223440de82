import { sleep, until } from '@zocalo/test-brokers';
import type { MessageContext, ServiceContext } from '../../src';
import { ServiceRuntime, ServiceState, defineService } from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

/** Collect what arrives on a queue (consumed without acknowledgement). */
async function collect(queue: string): Promise<unknown[]> {
  const received: unknown[] = [];
  await env.client.subscribe(queue, (_header, message) => {
    received.push(message);
  });
  return received;
}

const envelope = (id: string, payload: unknown) => ({
  recipe: { 1: { service: 'test', queue: 'work' } },
  'recipe-pointer': 1,
  environment: { ID: id },
  payload,
});

describe('message processing', () => {
  test('one message at a time across all of the service subscriptions', async () => {
    let inHand = 0;
    let most = 0;
    let handled = 0;
    const slow = async (): Promise<void> => {
      inHand++;
      most = Math.max(most, inHand);
      await sleep(5);
      inHand--;
      handled++;
    };
    const service = defineService({
      name: 'Serial',
      initializing: async (ctx) => {
        await ctx.subscribe('a', slow);
        await ctx.subscribe('b', slow);
        await ctx.subscribeBroadcast('t', slow);
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    for (let n = 0; n < 4; n++) {
      await env.client.send('a', n);
      await env.client.send('b', n);
      await env.client.broadcast('t', n);
    }
    await until(() => handled === 12);
    runtime.stop();
    await running;
    expect(most).toBe(1);
  });

  test('opt-in concurrency runs up to the limit at once', async () => {
    let inHand = 0;
    let most = 0;
    let handled = 0;
    const service = defineService({
      name: 'Parallel',
      initializing: async (ctx) => {
        await ctx.subscribe('work', async () => {
          inHand++;
          most = Math.max(most, inHand);
          await sleep(20);
          inHand--;
          handled++;
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ concurrency: 3 }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    for (let n = 0; n < 9; n++) await env.client.send('work', n);
    await until(() => handled === 9);
    runtime.stop();
    await running;
    expect(most).toBe(3);
  });

  test('messages arriving while the service starts wait until initializing() has finished', async () => {
    const seen: string[] = [];
    await env.client.send('early', 'x');
    const service = defineService({
      name: 'Early',
      initializing: async (ctx) => {
        await ctx.subscribe('early', () => {
          seen.push('message');
        });
        await sleep(20);
        seen.push('initialized');
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => seen.length === 2);
    runtime.stop();
    await running;
    expect(seen).toEqual(['initialized', 'message']);
  });

  test('transactional commit: the output and the ack of the input take effect together', async () => {
    const outputs = await collect('results');
    let release: (() => void) | undefined;
    let transaction: number | undefined;
    const service = defineService({
      name: 'Pipe',
      initializing: async (ctx) => {
        await ctx.subscribe('work', async (msg) => {
          transaction = msg.transaction;
          await msg.send('results', { doubled: (msg.message as number) * 2 });
          await new Promise<void>((resolve) => (release = resolve));
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 21);
    await until(() => release !== undefined);
    expect(transaction).toEqual(expect.any(Number));
    // Sent inside the open transaction: nothing visible yet, the input still unacknowledged.
    await sleep(10);
    expect(outputs).toEqual([]);
    expect(env.broker.stats('work').inFlight).toBe(1);
    release!();
    await until(() => outputs.length === 1);
    expect(outputs).toEqual([{ doubled: 42 }]);
    expect(env.broker.stats('work')).toMatchObject({ depth: 0, inFlight: 0 });
    runtime.stop();
    await running;
  });

  test('a handler that throws: transaction aborted, no output, message redelivered, error logged with the recipe ID', async () => {
    const outputs = await collect('results');
    const attempts: Array<{ redelivered: unknown }> = [];
    const service = defineService({
      name: 'Flaky',
      initializing: async (ctx) => {
        await ctx.subscribe('work', async (msg) => {
          attempts.push({ redelivered: msg.header.redelivered });
          await msg.send('results', { attempt: attempts.length });
          if (attempts.length === 1) throw new Error('passing fault');
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', envelope('b7d4-recipe', { x: 1 }));
    await until(() => outputs.length === 1);
    runtime.stop();
    await running;
    expect(attempts).toEqual([{ redelivered: false }, { redelivered: true }]);
    // The first attempt's output was dropped with its transaction; only the second one's was sent.
    expect(outputs).toEqual([{ attempt: 2 }]);
    expect(env.broker.stats('work')).toMatchObject({ depth: 0, inFlight: 0 });
    expect(env.broker.stats('DLQ.work').depth).toBe(0);
    const failure = env.logger.find((record) => record.level === 'error');
    expect(failure?.msg).toBe('message handler failed; transaction aborted, message released for redelivery');
    expect(failure?.fields).toMatchObject({
      recipe_ID: 'b7d4-recipe',
      service: 'Flaky',
      host: 'uk.ac.diamond.test.4711',
      destination: 'work',
    });
    expect((failure?.fields.err as Error).message).toBe('passing fault');
  });

  test('a message that keeps failing climbs the delivery count until the limit dead-letters it', async () => {
    let attempts = 0;
    const service = defineService({
      name: 'Doomed',
      initializing: async (ctx) => {
        await ctx.subscribe('work', () => {
          attempts++;
          throw new Error('always');
        });
      },
    });
    // A short back-off, so the six attempts do not take 3 s (redelivery-backoff.test.ts tests it).
    const runtime = new ServiceRuntime(service, env.options({ redeliveryBackoff: { initialDelay: 0.001 } }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 'poison');
    await until(() => env.broker.stats('DLQ.work').depth === 1);
    runtime.stop();
    await running;
    expect(attempts).toBe(env.broker.deliveryLimit + 1);
  });

  test('explicit reject dead-letters the message to DLQ.<queue> at once, with the reason logged', async () => {
    const service = defineService({
      name: 'Picky',
      initializing: async (ctx) => {
        await ctx.subscribe('work', (msg) => msg.reject('not a recipe'));
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', { garbage: true });
    await until(() => env.broker.stats('DLQ.work').depth === 1);
    runtime.stop();
    await running;
    const [dead] = env.broker.queue('DLQ.work').takeAll();
    expect(dead.headers).toMatchObject({ 'original-destination': '/queue/work', 'dlq-reason': 'rejected' });
    const warning = env.logger.find((record) => record.level === 'warn');
    expect(warning?.fields).toMatchObject({ reason: 'not a recipe', service: 'Picky' });
    expect(warning?.msg).toContain('not a recipe');
  });

  test('the handler sees header, message, recipe ID and a logger bound to it', async () => {
    let seen: MessageContext | undefined;
    const service = defineService({
      name: 'Look',
      initializing: async (ctx) => {
        await ctx.subscribe('work', (msg) => {
          seen = msg;
          msg.logger.info({ step: 1 }, 'working');
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', envelope('abc', 5), { headers: { beamline: 'i04' } });
    await until(() => seen !== undefined);
    runtime.stop();
    await running;
    expect(seen).toMatchObject({ recipeId: 'abc', destination: 'work', transport: env.transport });
    expect(seen!.header).toMatchObject({ beamline: 'i04', destination: 'work' });
    expect(seen!.message).toMatchObject({ payload: 5 });
    expect(env.logger.find((record) => record.msg === 'working')?.fields).toMatchObject({
      recipe_ID: 'abc',
      service: 'Look',
      step: 1,
    });
  });

  test('without transactions (transaction: false) sends go out at once and acks are direct', async () => {
    const outputs = await collect('results');
    let transaction: unknown = 'unset';
    const service = defineService({
      name: 'Direct',
      initializing: async (ctx) => {
        await ctx.subscribe(
          'work',
          async (msg) => {
            transaction = msg.transaction;
            await msg.send('results', msg.message);
          },
          { transaction: false },
        );
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 'hello');
    await until(() => outputs.length === 1);
    await until(() => env.broker.stats('work').inFlight === 0);
    runtime.stop();
    await running;
    expect(transaction).toBeUndefined();
    expect(outputs).toEqual(['hello']);
  });

  test('timers run between messages, in state TIMER', async () => {
    const events: string[] = [];
    let timerState: number | undefined;
    const holder: { runtime?: ServiceRuntime } = {};
    const service = defineService({
      name: 'Ticker',
      initializing: async (ctx: ServiceContext) => {
        ctx.timer(0.01, async () => {
          timerState = holder.runtime!.state;
          events.push('timer start');
          await sleep(5);
          events.push('timer end');
        });
        await ctx.subscribe('work', async () => {
          events.push('message start');
          await sleep(30);
          events.push('message end');
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    holder.runtime = runtime;
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 1);
    await until(() => events.filter((event) => event === 'timer end').length >= 3);
    runtime.stop();
    await running;
    expect(timerState).toBe(ServiceState.TIMER);
    // Never interleaved: every start is followed by its own end.
    for (let i = 0; i < events.length - 1; i += 2) {
      expect(events[i + 1]).toBe(events[i].replace('start', 'end'));
    }
  });

  test('a transport without nack-requeue gets the message back by reopening the subscription', async () => {
    const { MemoryTransport } = await import('../../src');
    class NoRequeue extends MemoryTransport {
      override readonly capabilities = { ...new MemoryTransport().capabilities, nackRequeue: false };
    }
    const transport = new NoRequeue({ broker: env.broker, logger: env.logger });
    let attempts = 0;
    const service = defineService({
      name: 'Reopen',
      initializing: async (ctx) => {
        await ctx.subscribe('work', () => {
          attempts++;
          if (attempts === 1) throw new Error('once');
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ transport }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 1);
    await until(() => attempts === 2);
    await until(() => env.broker.stats('work').inFlight === 0);
    runtime.stop();
    await running;
    expect(env.broker.stats('DLQ.work').depth).toBe(0);
  });
});
