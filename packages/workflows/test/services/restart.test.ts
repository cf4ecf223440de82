import { RecordingLogger, backoffDelay, runWithRestart } from '../../src';
import { FakeClock, flush } from './helpers';

describe('exponential back-off', () => {
  test('doubles from 0.1 s up to 5 s, as python-workflows does', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffDelay(failures))).toEqual([
      0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5,
    ]);
    expect(backoffDelay(3, { initialDelay: 1, maxDelay: 3 })).toBe(3);
  });

  test('a service that keeps failing at start is restarted ever more slowly', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const done = runWithRestart(
      async (attempt) => {
        starts.push(clock.now());
        if (attempt < 6) throw new Error(`start ${attempt} failed`);
      },
      { clock, logger: new RecordingLogger(), initialDelay: 1, maxDelay: 8 },
    );
    await clock.advance(60_000);
    await done;
    const gaps = starts.slice(1).map((time, i) => time - starts[i]);
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  test('a run that was healthy for resetAfter seconds starts the back-off over', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const done = runWithRestart(
      async (attempt) => {
        starts.push(clock.now());
        if (attempt === 3) {
          // Runs for a minute before failing.
          await new Promise<void>((resolve) => clock.setTimeout(resolve, 60_000));
        }
        if (attempt < 5) throw new Error('failed');
      },
      { clock, logger: new RecordingLogger(), initialDelay: 1, maxDelay: 30, resetAfter: 10 },
    );
    await clock.advance(120_000);
    await done;
    const gaps = starts.slice(1).map((time, i) => time - starts[i]);
    expect(gaps).toEqual([1000, 2000, 60_000 + 1000, 2000]);
  });

  test('each failure is logged with the delay before the next start', async () => {
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    const done = runWithRestart(
      async (attempt) => {
        if (attempt === 1) throw new Error('broker down');
      },
      { clock, logger },
    );
    await clock.advance(1000);
    await done;
    expect(logger.records).toHaveLength(1);
    expect(logger.records[0]).toMatchObject({ level: 'error', fields: { attempt: 1, delay: 0.1 } });
    expect((logger.records[0].fields.err as Error).message).toBe('broker down');
  });

  test('gives up after maxFailures in a row, rejecting with the last error', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const done = runWithRestart(
      async () => {
        attempts++;
        throw new Error(`failure ${attempts}`);
      },
      { clock, logger: new RecordingLogger(), maxFailures: 3 },
    );
    const outcome = expect(done).rejects.toThrow('failure 3');
    await clock.advance(10_000);
    await outcome;
    expect(attempts).toBe(3);
  });

  test('an abort signal ends the wait at once and stops restarting', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let attempts = 0;
    const done = runWithRestart(
      async () => {
        attempts++;
        throw new Error('failed');
      },
      { clock, logger: new RecordingLogger(), signal: controller.signal, initialDelay: 100 },
    );
    await flush();
    expect(clock.waiting).toBe(1);
    controller.abort();
    await done;
    expect(attempts).toBe(1);
    expect(clock.waiting).toBe(0);
  });
});
