import { within } from '../src';

describe('within', () => {
  it('gives the value of a promise that settles in time', async () => {
    await expect(within(Promise.resolve(7), 1000)).resolves.toBe(7);
  });

  it('gives undefined once the time has passed first', async () => {
    const started = Date.now();
    await expect(within(new Promise<number>(() => undefined), 50)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('passes a rejection through', async () => {
    await expect(within(Promise.reject(new Error('no')), 1000)).rejects.toThrow('no');
  });

  it('leaves no timer behind', async () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    await within(Promise.resolve(1), 60_000);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(before);
  });
});
