import {
  ConnectionError,
  DisconnectedError,
  InvalidArgumentError,
  MemoryBroker,
  RecordingLogger,
  SendBacklogFullError,
} from '@zocalo/workflows';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { DEFAULT_RETRY_SCHEDULE, NO_RETRY, RecipeWrapper, isConnectionFailure } from '../src';
import { faultyTransport, instantSchedule, memoryTransport } from './helpers';

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
      send: () => (failures++ === 0 ? first : new ConnectionError(`still down (${failures})`)),
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

  it('does not retry other failures (a bad argument, say)', async () => {
    const inner = await memoryTransport();
    const bad = new InvalidArgumentError('delay must be a number of seconds >= 0');
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
