import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { sleep, useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** ack, nack, requeue, redelivery, prefetch, failing callbacks and stale acknowledgements. */
export function acknowledgementTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('acknowledgement', () => {
    const harness = useHarness(options);
    const pause = (): Promise<void> => sleep(options.redeliveryPause ?? 0);

    it('redelivers an unacknowledged message, marked redelivered, after its consumer leaves', async () => {
      const transport = await harness().connect();
      const queue = harness().name('unacked');
      const first = harness().collector();
      const id = await transport.subscribe(queue, first.callback, { acknowledgement: true });
      await transport.send(queue, { keep: 'me' });
      const [delivery] = await first.waitFor(1);
      expect(delivery.header.redelivered ?? false).toBeFalsy();
      await transport.unsubscribe(id);
      await pause();
      const second = harness().collector((header) => transport.ack(header));
      await transport.subscribe(queue, second.callback, { acknowledgement: true });
      const [again] = await second.waitFor(1);
      expect(again.message).toEqual({ keep: 'me' });
      expect(String(again.header.redelivered)).toBe('true');
    });

    it('redelivers unacknowledged messages to another process when one disconnects', async () => {
      const crashed = await harness().connect();
      const survivor = await harness().connect();
      const queue = harness().name('crash');
      const first = harness().collector();
      await crashed.subscribe(queue, first.callback, { acknowledgement: true });
      await survivor.send(queue, { job: 1 });
      await first.waitFor(1);
      await crashed.disconnect();
      await pause();
      const second = harness().collector((header) => survivor.ack(header));
      await survivor.subscribe(queue, second.callback, { acknowledgement: true });
      await second.waitFor(1);
      expect(second.messages).toEqual([{ job: 1 }]);
    });

    it('forgets an acknowledged message', async () => {
      const transport = await harness().connect();
      const queue = harness().name('acked');
      const first = harness().collector((header) => transport.ack(header));
      const id = await transport.subscribe(queue, first.callback, { acknowledgement: true });
      await transport.send(queue, { once: true });
      await first.waitFor(1);
      await harness().quiet(100);
      await transport.unsubscribe(id);
      await pause();
      const second = harness().collector();
      await transport.subscribe(queue, second.callback, { acknowledgement: true });
      await harness().quiet();
      expect(second.deliveries).toHaveLength(0);
    });

    it('holds back messages beyond the prefetch window until one is acknowledged', async () => {
      const transport = await harness().connect();
      const queue = harness().name('prefetch');
      const collector = harness().collector();
      if (!transport.capabilities.prefetch) {
        await expectError(
          transport.subscribe(queue, collector.callback, { acknowledgement: true, prefetch: 1 }),
          'UnsupportedCapabilityError',
        );
        return;
      }
      await transport.subscribe(queue, collector.callback, { acknowledgement: true, prefetch: 1 });
      await transport.send(queue, { n: 1 });
      await transport.send(queue, { n: 2 });
      await collector.waitFor(1);
      await harness().quiet();
      expect(collector.messages).toEqual([{ n: 1 }]);
      await transport.ack(collector.deliveries[0].header);
      await collector.waitFor(2);
      expect(collector.messages).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('nack with requeue redelivers the message, marked redelivered (capability nackRequeue)', async () => {
      const transport = await harness().connect();
      const queue = harness().name('requeue');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { acknowledgement: true });
      await transport.send(queue, { retry: true });
      const [first] = await collector.waitFor(1);
      if (!transport.capabilities.nackRequeue) {
        await expectError(transport.nack(first.header, { requeue: true }), 'UnsupportedCapabilityError');
        return;
      }
      await transport.nack(first.header, { requeue: true });
      const [, second] = await collector.waitFor(2);
      expect(second.message).toEqual({ retry: true });
      expect(String(second.header.redelivered)).toBe('true');
      await transport.ack(second.header);
    });

    it('nack without requeue never redelivers the message, and dead-letters it', async () => {
      const transport = await harness().connect();
      const queue = harness().name('reject');
      const collector = harness().collector();
      const id = await transport.subscribe(queue, collector.callback, { acknowledgement: true });
      await transport.send(queue, { poison: true });
      const [first] = await collector.waitFor(1);
      await transport.nack(first.header);
      await harness().quiet();
      await transport.unsubscribe(id);
      await pause();
      const again = harness().collector();
      await transport.subscribe(queue, again.callback, { acknowledgement: true });
      await harness().quiet();
      expect(collector.deliveries).toHaveLength(1);
      expect(again.deliveries).toHaveLength(0);
      const dlq = options.deadLetterQueue?.(queue);
      if (dlq) {
        const dead = harness().collector((header) => transport.ack(header));
        await transport.subscribe(dlq, dead.callback, { acknowledgement: true });
        await dead.waitFor(1);
        expect(dead.messages).toEqual([{ poison: true }]);
      }
    });

    it('releases the message of a callback that throws, so it is delivered again', async () => {
      const transport = await harness().connect();
      const queue = harness().name('throws');
      let calls = 0;
      const collector = harness().collector(async (header) => {
        calls++;
        if (calls === 1) throw new Error('transient failure (expected by the test)');
        await transport.ack(header);
      });
      await transport.subscribe(queue, collector.callback, { acknowledgement: true });
      await transport.send(queue, { flaky: true });
      await collector.waitFor(2);
      expect(collector.messages).toEqual([{ flaky: true }, { flaky: true }]);
      expect(String(collector.deliveries[1].header.redelivered)).toBe('true');
    });

    it('drops a second ack of the same delivery instead of failing', async () => {
      const transport = await harness().connect();
      const queue = harness().name('doubleack');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback, { acknowledgement: true });
      await transport.send(queue, { n: 1 });
      const [delivery] = await collector.waitFor(1);
      await transport.ack(delivery.header);
      await expect(transport.ack(delivery.header)).resolves.toBeUndefined();
      await transport.send(queue, { n: 2 });
      await collector.waitFor(2);
    });

    it('drops an ack for a subscription that has ended', async () => {
      const transport = await harness().connect();
      const queue = harness().name('lateack');
      const collector = harness().collector();
      const id = await transport.subscribe(queue, collector.callback, { acknowledgement: true });
      await transport.send(queue, { late: true });
      const [delivery] = await collector.waitFor(1);
      await transport.unsubscribe(id);
      await expect(transport.ack(delivery.header)).resolves.toBeUndefined();
      // The unacknowledged message went back to the queue.
      await pause();
      const again = harness().collector((header) => transport.ack(header));
      await transport.subscribe(queue, again.callback, { acknowledgement: true });
      await again.waitFor(1);
    });

    it('rejects an ack without a header object with InvalidArgumentError', async () => {
      const transport = await harness().connect();
      await expectError(
        transport.ack(null as unknown as Parameters<typeof transport.ack>[0]),
        'InvalidArgumentError',
      );
    });
  });
}
