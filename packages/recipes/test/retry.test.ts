import {
  BrokerError,
  ConnectionError,
  DisconnectedError,
  InvalidArgumentError,
  MemoryBroker,
  MemoryTransport,
  PermanentError,
  RecordingLogger,
  SendBacklogFullError,
} from '@zocalo/workflows';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import {
  DEFAULT_RETRY_SCHEDULE,
  NO_RETRY,
  RecipeWrapper,
  isConnectionFailure,
  isDisconnectedFailure,
  isNeverConnectedFailure,
  wrapSubscribe,
} from '../src';
import { faultyTransport, instantSchedule, memoryTransport, reconnectingTransport } from './helpers';

const document = { '1': { queue: 'in', output: 2 }, '2': { queue: 'out' }, start: [[1, { go: true }]] };
const message = {
  recipe: document,
  'recipe-pointer': 1,
  'recipe-path': [],
  environment: { ID: 'r' },
  payload: 1,
};

describe('retry after a lost connection', () => {
  it('uses python-workflows schedule by default: 12 retries, 3·n² seconds (32.5 minutes)', () => {
    const waits = Array.from({ length: 12 }, (_, index) => DEFAULT_RETRY_SCHEDULE.delaySeconds(index + 1));
    expect(waits).toEqual([3, 12, 27, 48, 75, 108, 147, 192, 243, 300, 363, 432]);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(1950);
    expect(DEFAULT_RETRY_SCHEDULE.attempts).toBe(12);
  });

  it('fails at once, retrying nothing, on a transport that was never connected (#22)', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    const schedule = instantSchedule();
    const logger = new RecordingLogger();
    const started = RecipeWrapper.fromRecipe(document, transport, { retry: schedule, logger }).start();
    await expect(started).rejects.toThrow(
      'memory transport: cannot send: it was never connected; call connect() first',
    );
    await expect(started).rejects.toMatchObject({ code: 'ZOCALO_DISCONNECTED', neverConnected: true });
    expect(schedule.waits).toEqual([]);
    expect(logger.records).toEqual([]);
    expect(transport.isConnected()).toBe(false);
    const error = await started.catch((caught: unknown) => caught);
    expect([isDisconnectedFailure(error), isNeverConnectedFailure(error)]).toEqual([true, true]);
    // Once connected and then disconnected, the same send is a lost connection again: retried.
    await transport.connect();
    await transport.disconnect();
    const again = new DisconnectedError('send', 'memory', false);
    expect(isNeverConnectedFailure(again)).toBe(false);
    await RecipeWrapper.fromRecipe(document, transport, { retry: schedule, logger }).start();
    expect(schedule.waits).toEqual([3000]);
    await transport.disconnect();
  });

  it('reconnects and sends again when the transport was disconnected', async () => {
    const broker = new MemoryBroker();
    const transport = await memoryTransport(broker);
    const received: unknown[] = [];
    const consumer = await memoryTransport(broker);
    await consumer.subscribe('out', (_header: ReceivedHeaders, body) => void received.push(body));
    await transport.disconnect();
    const schedule = instantSchedule();
    const logger = new RecordingLogger();
    const wrapper = RecipeWrapper.fromMessage(message, transport, { retry: schedule, logger });
    await wrapper.send('after reconnect');
    expect(transport.isConnected()).toBe(true);
    expect(schedule.waits).toEqual([3000]);
    await until(() => received.length === 1);
    expect(logger.records.map((r) => [r.level, r.msg])).toEqual([
      ['warn', 'Connection failure detected during send attempt. Retrying in 3 seconds'],
      ['info', 'Reconnection attempt 1 of 12'],
    ]);
    await transport.disconnect();
    await consumer.disconnect();
  });

  it('gives up after 12 retries with the first error, having waited 3·n² before each', async () => {
    const inner = await memoryTransport();
    let failures = 0;
    const first = new DisconnectedError('send', 'memory');
    const transport = faultyTransport(inner, {
      send: () => (failures++ === 0 ? first : new DisconnectedError(`send (${failures})`, 'memory')),
    });
    const schedule = instantSchedule();
    const logger = new RecordingLogger();
    const wrapper = RecipeWrapper.fromMessage(message, transport, { retry: schedule, logger });
    const error = await wrapper.send('x').catch((e: unknown) => e);
    expect(error).toBe(first);
    expect(transport.calls.send).toBe(13);
    expect(schedule.waits).toEqual(
      [3, 12, 27, 48, 75, 108, 147, 192, 243, 300, 363, 432].map((s) => s * 1000),
    );
    expect(logger.records.at(-1)).toMatchObject({ level: 'error', msg: 'Transport connection failure' });
    await inner.disconnect();
  });

  it('counts a failing reconnect as a failed attempt', async () => {
    const inner = await memoryTransport();
    await inner.disconnect();
    const transport = faultyTransport(inner, { connect: () => new ConnectionError('broker unreachable') });
    const schedule = instantSchedule(3);
    const error = await RecipeWrapper.fromMessage(message, transport, {
      retry: schedule,
      logger: new RecordingLogger(),
    })
      .send('x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DisconnectedError);
    expect(transport.calls.connect).toBe(3);
    expect(schedule.waits).toEqual([3000, 12000, 27000]);
  });

  it.each([
    ['a bad argument', new InvalidArgumentError('delay must be a number of seconds >= 0')],
    ['a permanent error', new PermanentError('the payload names a missing file')],
    ['a broker refusal', new BrokerError('no exchange "x" on the broker; the message was not sent')],
  ])('does not retry %s at all: one call, no wait', async (_what, bad) => {
    const inner = await memoryTransport();
    const transport = faultyTransport(inner, { send: () => bad });
    const schedule = instantSchedule();
    const wrapper = RecipeWrapper.fromMessage(message, transport, {
      retry: schedule,
      logger: new RecordingLogger(),
    });
    await expect(wrapper.send('x')).rejects.toBe(bad);
    expect(transport.calls.send).toBe(1);
    expect(schedule.waits).toEqual([]);
    await inner.disconnect();
  });

  it.each([
    ['its sendTimeout passed', () => new ConnectionError('a send to "out" waited 60 s for the broker')],
    ['it gave up reconnecting', () => new ConnectionError('gave up reconnecting to RabbitMQ')],
    ['its backlog is full', () => new SendBacklogFullError('the connection', 100, 1024)],
  ])(
    'a lost connection is retried by the transport alone: a ConnectionError after %s is not retried again',
    async (_what, final) => {
      const inner = await memoryTransport();
      // The transport's own layer: it tries three times across a reconnection, then gives up.
      const transport = reconnectingTransport(inner, { failures: 3, final });
      const schedule = instantSchedule();
      const wrapper = RecipeWrapper.fromMessage(message, transport, {
        retry: schedule,
        logger: new RecordingLogger(),
      });
      const error = await wrapper.send('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(transport.calls).toEqual({ send: 1, attempts: 3, connect: 0 });
      expect(schedule.waits).toEqual([]);
      await inner.disconnect();
    },
  );

  it('a send that the transport resends after its reconnection succeeds with no retry here', async () => {
    const inner = await memoryTransport();
    const transport = reconnectingTransport(inner, { failures: 2 });
    const schedule = instantSchedule();
    await RecipeWrapper.fromMessage(message, transport, {
      retry: schedule,
      logger: new RecordingLogger(),
    }).send('x');
    expect(transport.calls).toEqual({ send: 1, attempts: 3, connect: 0 });
    expect(schedule.waits).toEqual([]);
    await inner.disconnect();
  });

  it('a send the transport refused untried (disconnected) is retried here alone: each call tried once', async () => {
    const inner = await memoryTransport();
    await inner.disconnect();
    const transport = reconnectingTransport(inner, { failures: 0 });
    const schedule = instantSchedule();
    await RecipeWrapper.fromMessage(message, transport, {
      retry: schedule,
      logger: new RecordingLogger(),
    }).send('x');
    // The first call was refused before the transport tried; the second, after our connect, went out.
    expect(transport.calls).toEqual({ send: 2, attempts: 1, connect: 1 });
    expect(schedule.waits).toEqual([3000]);
    await inner.disconnect();
  });

  it('a reconnect that works, then a send the transport gives up on: raised, not retried again', async () => {
    const inner = await memoryTransport();
    await inner.disconnect();
    const gaveUp = new ConnectionError('a send to "out" waited 60 s for the broker');
    const transport = reconnectingTransport(inner, { failures: 3, final: () => gaveUp });
    const schedule = instantSchedule();
    const wrapper = RecipeWrapper.fromMessage(message, transport, {
      retry: schedule,
      logger: new RecordingLogger(),
    });
    await expect(wrapper.send('x')).rejects.toBe(gaveUp);
    expect(transport.calls).toEqual({ send: 2, attempts: 3, connect: 1 });
    expect(schedule.waits).toEqual([3000]);
    await inner.disconnect();
  });

  it('wrappers of delivered messages do not retry: the transport holds the subscription', async () => {
    const broker = new MemoryBroker();
    const inner = await memoryTransport(broker);
    const transport = faultyTransport(inner, { send: () => new DisconnectedError('send', 'memory') });
    const failures: unknown[] = [];
    await wrapSubscribe(transport, 'in', (rw) =>
      rw.send('x').catch((error: unknown) => void failures.push(error)),
    );
    const producer = await memoryTransport(broker);
    await producer.send('in', message, { headers: { 'workflows-recipe': true } });
    await until(() => failures.length === 1);
    expect(failures[0]).toBeInstanceOf(DisconnectedError);
    expect(transport.calls).toEqual({ send: 1, connect: 0 });
    await producer.disconnect();
    await inner.disconnect();
  });

  it('does not retry inside a transaction, which ends with the connection', async () => {
    const inner = await memoryTransport();
    const transaction = await inner.transactionBegin();
    const transport = faultyTransport(inner, { send: () => new DisconnectedError('send', 'memory') });
    const schedule = instantSchedule();
    const wrapper = RecipeWrapper.fromMessage(message, transport, {
      retry: schedule,
      logger: new RecordingLogger(),
    });
    await expect(wrapper.send('x', { transaction })).rejects.toBeInstanceOf(DisconnectedError);
    expect(transport.calls.send).toBe(1);
    await inner.disconnect();
  });

  it('NO_RETRY raises the first failure at once', async () => {
    const inner = await memoryTransport();
    await inner.disconnect();
    const wrapper = RecipeWrapper.fromMessage(message, inner, {
      retry: NO_RETRY,
      logger: new RecordingLogger(),
    });
    await expect(wrapper.send('x')).rejects.toBeInstanceOf(DisconnectedError);
    expect(inner.isConnected()).toBe(false);
  });

  it('tells a send the transport did not try (disconnected) from one it did', () => {
    expect(isDisconnectedFailure(new DisconnectedError('send', 'x'))).toBe(true);
    expect(isDisconnectedFailure(new ConnectionError('down'))).toBe(false);
    expect(isDisconnectedFailure(new SendBacklogFullError('the connection', 1, 1))).toBe(false);
    const foreign = Object.defineProperty(new Error('from another copy'), Symbol.for('@zocalo/error'), {
      value: ['ZOCALO_DISCONNECTED', 'ZOCALO_ERROR'],
    });
    expect(isDisconnectedFailure(foreign)).toBe(true);
    const named = new Error('only named like one');
    named.name = 'DisconnectedError';
    expect(isDisconnectedFailure(named)).toBe(false);
    expect(isDisconnectedFailure('text')).toBe(false);
  });

  it('recognises connection failures by code, of any copy of @zocalo/workflows, never by name', () => {
    expect(isConnectionFailure(new DisconnectedError('send', 'x'))).toBe(true);
    expect(isConnectionFailure(new ConnectionError('down'))).toBe(true);
    expect(isConnectionFailure(new SendBacklogFullError('the connection', 1, 10))).toBe(true);
    // What another copy's DisconnectedError carries (test/cross-copy.test.ts in workflows proves it).
    const foreign = Object.defineProperty(new Error('from another copy'), Symbol.for('@zocalo/error'), {
      value: ['ZOCALO_DISCONNECTED', 'ZOCALO_ERROR'],
    });
    expect(isConnectionFailure(foreign)).toBe(true);
    const named = new Error('only named like one');
    named.name = 'DisconnectedError';
    expect(isConnectionFailure(named)).toBe(false);
    expect(isConnectionFailure(new InvalidArgumentError('bad'))).toBe(false);
    expect(isConnectionFailure('text')).toBe(false);
  });
});
