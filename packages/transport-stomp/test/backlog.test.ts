/**
 * A subscription without acknowledgement whose callback is slower than the broker: the transport holds
 * at most about a prefetch of messages not yet handed to the callback (ActiveMQ pushes no further ahead),
 * and every message still arrives, in order, each acknowledged as it is handed over (at most once).
 */
import { requireBroker, sleep, uniqueName } from '@zocalo/test-brokers';
import { NO_ACK_PREFETCH } from '../src';
import { stompTransport } from './helpers';

jest.setTimeout(60_000);

beforeAll(() => requireBroker('stomp'));

async function waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function slowSubscriber(count: number, prefetch: number | undefined): Promise<void> {
  const queue = uniqueName('zocalo.stomp.backlog');
  const sender = stompTransport();
  const receiver = stompTransport();
  const got: unknown[] = [];
  let most = 0;
  let subscription = 0;
  const sample = (): void => {
    most = Math.max(most, receiver.pendingDeliveries(subscription));
  };
  const sampler = setInterval(sample, 1);
  try {
    await sender.connect();
    await Promise.all(Array.from({ length: count }, (_, n) => sender.send(queue, n)));
    await receiver.connect();
    subscription = await receiver.subscribe(
      queue,
      async (_header, message) => {
        sample();
        got.push(message);
        await sleep(5);
      },
      prefetch === undefined ? {} : { prefetch },
    );
    await waitUntil(() => got.length === count, `${count} deliveries`, 45_000);
    expect(got).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(prefetch ?? NO_ACK_PREFETCH);
    await receiver.disconnect();
    // Each was acknowledged as it was handed over: nothing comes again.
    const again: unknown[] = [];
    await sender.subscribe(queue, (_header, message) => void again.push(message));
    await sleep(500);
    expect(again).toEqual([]);
  } finally {
    clearInterval(sampler);
    await receiver.disconnect();
    await sender.disconnect();
  }
}

describe('a subscription without acknowledgement and a slow callback', () => {
  it('holds at most the default prefetch (100) not yet handed over; 2000 arrive in order', async () => {
    await slowSubscriber(2000, undefined);
  });

  it('holds at most the subscription prefetch', async () => {
    await slowSubscriber(500, 20);
  });
});
