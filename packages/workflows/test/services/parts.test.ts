import { ProcessingGate } from '../../src/services/processing-gate';
import { ServiceState, UtilizationStatistics, readCommand, recipeIdOf, stateText } from '../../src';
import { FakeClock } from './helpers';

describe('utilization', () => {
  test('fractions of the last period per state, keyed by state integer', async () => {
    const clock = new FakeClock();
    const stats = new UtilizationStatistics(10, clock, ServiceState.IDLE);
    await clock.advance(7_000);
    stats.update(ServiceState.PROCESSING);
    await clock.advance(3_000);
    expect(stats.report()).toEqual({ '2': 0.7, '4': 0.3 });
    // 20 s later only PROCESSING is within the period.
    await clock.advance(20_000);
    expect(stats.report()).toEqual({ '4': 1 });
  });

  test('spans that began before the period count only from its start', async () => {
    const clock = new FakeClock();
    const stats = new UtilizationStatistics(6, clock, ServiceState.STARTING);
    await clock.advance(10_000);
    stats.update(ServiceState.IDLE);
    await clock.advance(2_000);
    expect(stats.report()).toEqual({ '1': 0.6667, '2': 0.3333 });
  });

  test('a report at the very start is all the current state', () => {
    const stats = new UtilizationStatistics(6, new FakeClock(), ServiceState.NEW);
    expect(stats.report()).toEqual({ '0': 1 });
  });
});

describe('shutdown command addressing (python-workflows Frontend.process_transport_command)', () => {
  const self = { host: 'org.example.ws1.99', serviceNames: ['Dispatcher'] };
  test.each([
    [{ command: 'shutdown', host: 'org.example.ws1.99' }, 'shutdown'],
    [{ command: 'shutdown', service: 'Dispatcher' }, 'shutdown'],
    [{ command: 'shutdown', host: 'org.example.ws1.99', service: 'Dispatcher' }, 'shutdown'],
    [{ command: 'shutdown', host: 'org.example.ws1.99', service: 'Other' }, 'ignore'],
    [{ command: 'shutdown', host: 'org.example.ws2.99' }, 'ignore'],
    [{ command: 'shutdown' }, 'ignore'],
    [{ command: 'shutdown', service: null }, 'ignore'],
    [{ host: 'org.example.ws1.99' }, 'invalid'],
    [{ command: 'pause', service: 'Dispatcher' }, 'unknown'],
    ['shutdown', 'ignore'],
    [null, 'ignore'],
  ])('%j → %s', (message, kind) => {
    expect(readCommand(message, self).kind).toBe(kind);
  });
});

describe('recipe ID', () => {
  test.each([
    [{ environment: { ID: 'abc' } }, 'abc'],
    [{ environment: { ID: 42 } }, '42'],
    [{ environment: { ID: '' } }, undefined],
    [{ environment: null }, undefined],
    [{ environment: 'x' }, undefined],
    [{ payload: 1 }, undefined],
    ['text', undefined],
    [null, undefined],
  ])('%j → %s', (message, id) => {
    expect(recipeIdOf(message)).toBe(id);
  });
});

test('state texts are those of services.md', () => {
  expect(
    Object.values(ServiceState)
      .sort((a, b) => a - b)
      .map((state) => [state, stateText(state)]),
  ).toEqual([
    [-2, 'shutdown'],
    [-1, 'no service loaded'],
    [0, 'constructing'],
    [1, 'starting'],
    [2, 'idle'],
    [3, 'timer event'],
    [4, 'processing'],
    [5, 'shutting down'],
    [6, 'shutdown'],
    [7, 'error'],
  ]);
});

describe('processing gate', () => {
  test('admits up to the limit, queues the rest, turns the queue away on close', async () => {
    const gate = new ProcessingGate(2);
    expect(await gate.acquire()).toBe(true);
    expect(await gate.acquire()).toBe(true);
    const third = gate.acquire();
    const fourth = gate.acquire();
    gate.release();
    expect(await third).toBe(true);
    let idle = false;
    void gate.idle().then(() => (idle = true));
    gate.close();
    expect(await fourth).toBe(false);
    expect(await gate.acquire()).toBe(false);
    gate.release();
    await Promise.resolve();
    expect(idle).toBe(false);
    gate.release();
    await Promise.resolve();
    expect(idle).toBe(true);
  });

  test('a paused gate admits nothing until resumed', async () => {
    const gate = new ProcessingGate(1, true);
    let admitted = false;
    void gate.acquire().then((ok) => (admitted = ok));
    await Promise.resolve();
    expect(admitted).toBe(false);
    gate.resume();
    await Promise.resolve();
    expect(admitted).toBe(true);
  });
});
