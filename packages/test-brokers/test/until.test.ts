import { sleep, until } from '../src';

describe('until', () => {
  it('resolves once the predicate holds', async () => {
    let ready = false;
    void sleep(20).then(() => (ready = true));
    await until(() => ready);
    expect(ready).toBe(true);
  });

  it('rejects after the timeout, naming what it waited for', async () => {
    const started = Date.now();
    await expect(until(() => false, 50, 'nothing')).rejects.toThrow(
      'timed out after 50 ms waiting for nothing',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});
