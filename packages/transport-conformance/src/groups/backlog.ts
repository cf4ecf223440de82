import type { SubscriptionId, Transport } from '@zocalo/workflows';
import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { sleep, useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** How many messages a transport holds for a subscription that its callback has not been handed yet. */
function pendingCounter(options: ConformanceOptions, transport: Transport): (id: SubscriptionId) => number {
  if (options.pendingDeliveries) return (id) => options.pendingDeliveries!(transport, id);
  const counting = transport as Transport & { pendingDeliveries?(id: SubscriptionId): number };
  if (typeof counting.pendingDeliveries !== 'function') {
    throw new Error(
      `${options.name} transport: the backlog tests need the number of messages waiting for a callback: ` +
        'extend CommonTransport (it has pendingDeliveries), or pass pendingDeliveries in the conformance options',
    );
  }
  return (id) => counting.pendingDeliveries!(id);
}

/**
 * A subscription without acknowledgement whose callback is slower than the broker: the transport holds
 * at most a prefetch of messages not yet handed to the callback (the broker pushes no further ahead, so
 * memory stays bounded), every message still arrives in order, and each is settled as it is handed over.
 */
export function backlogTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('backlog of a slow subscriber without acknowledgement', () => {
    const harness = useHarness(options);

    async function slowSubscriber(count: number, prefetch: number | undefined): Promise<void> {
      const sender = await harness().connect();
      const receiver = await harness().connect();
      const pending = pendingCounter(options, receiver);
      const queue = harness().name('backlog');
      await harness().declare(sender, queue);
      await Promise.all(Array.from({ length: count }, (_, n) => sender.send(queue, n)));
      const got: unknown[] = [];
      let most = 0;
      let subscription: SubscriptionId | undefined;
      const sample = (): void => {
        if (subscription !== undefined) most = Math.max(most, pending(subscription));
      };
      const sampler = setInterval(sample, 1);
      try {
        subscription = await receiver.subscribe(
          queue,
          async (_header, message) => {
            sample();
            got.push(message);
            await sleep(5);
          },
          prefetch === undefined ? {} : { prefetch },
        );
        const deadline = Date.now() + count * 5 + 30_000;
        while (got.length < count && Date.now() < deadline) await sleep(20);
      } finally {
        clearInterval(sampler);
      }
      expect(got).toEqual(Array.from({ length: count }, (_, n) => n));
      expect(most).toBeLessThanOrEqual(prefetch ?? options.noAckPrefetch ?? 100);
      await receiver.disconnect();
      // Each was settled as it was handed over: nothing comes again.
      const again = harness().collector();
      await sender.subscribe(queue, again.callback);
      await harness().quiet();
      expect(again.messages).toEqual([]);
    }

    it('holds at most the default prefetch not yet handed to the callback; 1000 arrive in order', async () => {
      await slowSubscriber(1000, undefined);
    });

    it('holds at most the subscription prefetch', async () => {
      const probe = await harness().connect();
      if (!probe.capabilities.prefetch) {
        await expectError(
          probe.subscribe(harness().name('backlog'), () => undefined, { prefetch: 20 }),
          'UnsupportedCapabilityError',
        );
        return;
      }
      await slowSubscriber(400, 20);
    });
  });
}
