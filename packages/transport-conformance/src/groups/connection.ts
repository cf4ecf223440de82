import type { TransportEvent } from '@zocalo/workflows';
import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** connect, disconnect, isConnected, events, and what happens when disconnected. */
export function connectionTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('connection', () => {
    const harness = useHarness(options);

    it('connects and disconnects, idempotently, reporting events', async () => {
      const transport = await harness().unconnected();
      const events: TransportEvent['type'][] = [];
      const stop = transport.onEvent((event) => events.push(event.type));
      expect(transport.isConnected()).toBe(false);
      await transport.connect();
      await transport.connect();
      expect(transport.isConnected()).toBe(true);
      await transport.disconnect();
      await transport.disconnect();
      expect(transport.isConnected()).toBe(false);
      stop();
      expect(events).toEqual(['connected', 'disconnected']);
    });

    it('declares every capability as a boolean', async () => {
      const transport = await harness().unconnected();
      expect(typeof transport.name).toBe('string');
      for (const capability of [
        'delay',
        'expiration',
        'transactions',
        'selectors',
        'priority',
        'exclusive',
        'retroactive',
        'prefetch',
        'nackRequeue',
        'exchange',
      ] as const) {
        expect(typeof transport.capabilities[capability]).toBe('boolean');
      }
    });

    it('rejects operations while disconnected with DisconnectedError', async () => {
      const transport = await harness().unconnected();
      const queue = harness().name('disconnected');
      await expectError(transport.send(queue, { a: 1 }), 'DisconnectedError');
      await expectError(transport.rawSend(queue, 'x'), 'DisconnectedError');
      await expectError(transport.broadcast(queue, { a: 1 }), 'DisconnectedError');
      await expectError(
        transport.subscribe(queue, () => undefined),
        'DisconnectedError',
      );
      await expectError(transport.ack({ 'message-id': '1', subscription: 1 }), 'DisconnectedError');
    });

    it('can connect again after a disconnect', async () => {
      const transport = await harness().connect();
      await transport.disconnect();
      await transport.connect();
      const queue = harness().name('reconnect');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await transport.send(queue, { again: true });
      await collector.waitFor(1);
      expect(collector.messages).toEqual([{ again: true }]);
    });
  });
}
