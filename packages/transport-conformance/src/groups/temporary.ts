import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** Temporary queues: named `transient.<hint>.<uuid>`, reachable by name from another process. */
export function temporaryQueueTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('temporary queues', () => {
    const harness = useHarness(options);
    const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

    it('names the queue after the hint and delivers what is sent to it', async () => {
      const owner = await harness().connect();
      const other = await harness().connect();
      const collector = harness().collector();
      const { queue, subscriptionId } = await owner.subscribeTemporary('reply', collector.callback);
      expect(queue).toMatch(new RegExp(`^transient\\.reply\\.${uuid}$`));
      expect(typeof subscriptionId).toBe('number');
      await other.send(queue, { answer: 42 });
      const [delivery] = await collector.waitFor(1);
      expect(delivery.message).toEqual({ answer: 42 });
      expect(Number(delivery.header.subscription)).toBe(subscriptionId);
    });

    it('does not double the transient. prefix and falls back to the host id without a hint', async () => {
      const transport = await harness().connect();
      const withPrefix = await transport.subscribeTemporary('transient.mine', () => undefined);
      expect(withPrefix.queue).toMatch(new RegExp(`^transient\\.mine\\.${uuid}$`));
      const noHint = await transport.subscribeTemporary(undefined, () => undefined);
      expect(noHint.queue).toMatch(new RegExp(`^transient\\..+\\.\\d+\\.${uuid}$`));
      expect(withPrefix.subscriptionId).not.toBe(noHint.subscriptionId);
    });

    it('gives two temporary subscriptions different queues', async () => {
      const transport = await harness().connect();
      const a = await transport.subscribeTemporary('same', () => undefined);
      const b = await transport.subscribeTemporary('same', () => undefined);
      expect(a.queue).not.toBe(b.queue);
    });
  });
}
