import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** delay and expiration, in seconds. */
export function timingTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('delay and expiration', () => {
    const harness = useHarness(options);

    it('holds a delayed message back for at least the delay (capability delay)', async () => {
      const transport = await harness().connect();
      const queue = harness().name('delay');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      if (!transport.capabilities.delay) {
        await expectError(transport.send(queue, 1, { delay: 0.5 }), 'UnsupportedCapabilityError');
        await expectError(transport.broadcast(queue, 1, { delay: 0.5 }), 'UnsupportedCapabilityError');
        return;
      }
      const sent = Date.now();
      await transport.send(queue, { delayed: true }, { delay: 0.6 });
      await transport.send(queue, { immediate: true });
      const [first] = await collector.waitFor(1);
      expect(first.message).toEqual({ immediate: true });
      await collector.waitFor(2);
      // Brokers round to milliseconds; allow a little clock granularity, never a short-cut.
      expect(Date.now() - sent).toBeGreaterThanOrEqual(590);
      expect(collector.messages[1]).toEqual({ delayed: true });
    });

    it('does not hold a short delay back behind a long one', async () => {
      const transport = await harness().connect();
      if (!transport.capabilities.delay) return;
      const queue = harness().name('delayorder');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const sent = Date.now();
      await transport.send(queue, { after: 1.5 }, { delay: 1.5 });
      await transport.send(queue, { after: 0.2 }, { delay: 0.2 });
      const [first] = await collector.waitFor(1);
      expect(first.message).toEqual({ after: 0.2 });
      const firstAt = Date.now() - sent;
      expect(firstAt).toBeGreaterThanOrEqual(190);
      expect(firstAt).toBeLessThan(1400);
      await collector.waitFor(2);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(1490);
    });

    it('delays broadcasts too', async () => {
      const transport = await harness().connect();
      if (!transport.capabilities.delay) return;
      const topic = harness().name('delaybroadcast');
      const collector = harness().collector();
      await transport.subscribeBroadcast(topic, collector.callback);
      const sent = Date.now();
      await transport.broadcast(topic, { later: true }, { delay: 0.4 });
      await collector.waitFor(1);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(390);
    });

    it('discards a message not delivered before it expires (capability expiration)', async () => {
      const transport = await harness().connect();
      const queue = harness().name('expire');
      if (!transport.capabilities.expiration) {
        await expectError(transport.send(queue, 1, { expiration: 1 }), 'UnsupportedCapabilityError');
        return;
      }
      await harness().declare(transport, queue);
      await transport.send(queue, { stale: true }, { expiration: 0.3 });
      await transport.send(queue, { fresh: true }, { expiration: 60 });
      await transport.send(queue, { forever: true });
      await harness().quiet(900);
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await collector.waitFor(2);
      await harness().quiet();
      expect(collector.messages).toEqual([{ fresh: true }, { forever: true }]);
    });

    it('rejects negative or non-numeric delays and expirations with InvalidArgumentError', async () => {
      const transport = await harness().connect();
      const queue = harness().name('badtimes');
      await expectError(transport.send(queue, 1, { delay: -1 }), 'InvalidArgumentError');
      await expectError(transport.send(queue, 1, { expiration: -0.5 }), 'InvalidArgumentError');
      await expectError(transport.send(queue, 1, { delay: Number.NaN }), 'InvalidArgumentError');
      await expectError(
        transport.send(queue, 1, { delay: '5' as unknown as number }),
        'InvalidArgumentError',
      );
    });
  });
}
