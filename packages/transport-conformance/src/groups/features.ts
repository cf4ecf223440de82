import type { Transport } from '@zocalo/workflows';
import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** Optional features: each works as documented, or throws UnsupportedCapabilityError. */
export function featureTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('optional features', () => {
    const harness = useHarness(options);

    it('exclusive: one exclusive consumer takes every message while it lives', async () => {
      const a = await harness().connect();
      const b = await harness().connect();
      const queue = harness().name('exclusive');
      const first = harness().collector((header) => a.ack(header));
      const second = harness().collector((header) => b.ack(header));
      if (!a.capabilities.exclusive) {
        await expectError(
          a.subscribe(queue, first.callback, { exclusive: true }),
          'UnsupportedCapabilityError',
        );
        return;
      }
      const id = await a.subscribe(queue, first.callback, { exclusive: true, acknowledgement: true });
      await b.subscribe(queue, second.callback, { exclusive: true, acknowledgement: true });
      for (let i = 0; i < 6; i++) await b.send(queue, { i });
      await first.waitFor(6);
      await harness().quiet();
      expect(second.deliveries).toHaveLength(0);
      await a.unsubscribe(id);
      await b.send(queue, { i: 6 });
      await second.waitFor(1);
      expect(second.messages).toEqual([{ i: 6 }]);
    });

    it('priority: the higher-priority consumer is served first', async () => {
      const a = await harness().connect();
      const b = await harness().connect();
      const queue = harness().name('priority');
      const low = harness().collector((header) => a.ack(header));
      const high = harness().collector((header) => b.ack(header));
      if (!a.capabilities.priority) {
        await expectError(a.subscribe(queue, low.callback, { priority: 1 }), 'UnsupportedCapabilityError');
        return;
      }
      const prefetch = a.capabilities.prefetch ? 100 : undefined;
      await a.subscribe(queue, low.callback, { priority: 1, acknowledgement: true, prefetch });
      await b.subscribe(queue, high.callback, { priority: 10, acknowledgement: true, prefetch });
      await harness().quiet();
      for (let i = 0; i < 10; i++) await a.send(queue, { i });
      await high.waitFor(10);
      await harness().quiet();
      expect(low.deliveries).toHaveLength(0);
    });

    it('selectors: only matching messages reach the subscriber', async () => {
      const transport = await harness().connect();
      const queue = harness().name('selector');
      const collector = harness().collector();
      if (!transport.capabilities.selectors) {
        await expectError(
          transport.subscribe(queue, collector.callback, { selector: "colour = 'red'" }),
          'UnsupportedCapabilityError',
        );
        return;
      }
      await transport.subscribe(queue, collector.callback, { selector: "colour = 'red'" });
      await transport.send(queue, { n: 1 }, { headers: { colour: 'blue' } });
      await transport.send(queue, { n: 2 }, { headers: { colour: 'red' } });
      await collector.waitFor(1);
      await harness().quiet();
      expect(collector.messages).toEqual([{ n: 2 }]);
    });

    it('retroactive: a retroactive broadcast subscriber also gets a recent broadcast', async () => {
      const transport = await harness().connect();
      const topic = harness().name('retroactive');
      const collector = harness().collector();
      if (!transport.capabilities.retroactive) {
        await expectError(
          transport.subscribeBroadcast(topic, collector.callback, { retroactive: true }),
          'UnsupportedCapabilityError',
        );
        return;
      }
      await transport.broadcast(topic, { before: true });
      await harness().quiet(100);
      await transport.subscribeBroadcast(topic, collector.callback, { retroactive: true });
      await transport.broadcast(topic, { after: true });
      await collector.waitFor(2);
      expect(collector.messages).toEqual([{ before: true }, { after: true }]);
    });

    it('exchange: rejected where the transport has no exchanges', async () => {
      const transport: Transport = await harness().connect();
      if (transport.capabilities.exchange) return; // exercised by the transport's own tests
      const queue = harness().name('exchange');
      await expectError(transport.send(queue, 1, { exchange: 'amq.direct' }), 'UnsupportedCapabilityError');
    });

    it('prefetch: rejects values that are not whole numbers >= 1', async () => {
      const transport = await harness().connect();
      const queue = harness().name('badprefetch');
      if (!transport.capabilities.prefetch) {
        await expectError(
          transport.subscribe(queue, () => undefined, { prefetch: 5 }),
          'UnsupportedCapabilityError',
        );
        return;
      }
      await expectError(
        transport.subscribe(queue, () => undefined, { prefetch: 0 }),
        'InvalidArgumentError',
      );
      await expectError(
        transport.subscribe(queue, () => undefined, { prefetch: 1.5 }),
        'InvalidArgumentError',
      );
    });
  });
}
