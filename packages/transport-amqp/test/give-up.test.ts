/**
 * Giving up reconnecting: RabbitMQ is reached through a local TCP proxy, which then goes away for good.
 * The transport must end as after disconnect() — `disconnected` with the reason, no subscriptions,
 * timers or channels left, sends waiting for the reconnection rejected — and disconnect() afterwards
 * must do nothing.
 */
import { rabbitManagement, requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { ReceivedHeaders, TransportEvent } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport, MAX_WAITING_SENDS, SendBacklogFullError } from '../src';
import { proxyToRabbit, waitUntil } from './helpers';

jest.setTimeout(30_000);

beforeAll(() => requireBroker('amqp'));

describe('giving up reconnecting', () => {
  it('ends cleanly: disconnected with the reason, nothing left behind, disconnect() a no-op', async () => {
    const proxy = await proxyToRabbit();
    const queue = uniqueName('zocalo.amqp.giveup');
    const transport = new AmqpTransport({
      host: '127.0.0.1',
      port: proxy.port,
      logger: new RecordingLogger(),
      reconnect: { initialDelay: 0.2, maxDelay: 0.2, attempts: 2 },
    });
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    try {
      await transport.connect();
      const got: ReceivedHeaders[] = [];
      await transport.subscribe(queue, (header) => void got.push(header), { acknowledgement: true });
      await transport.send(queue, 1);
      await waitUntil(() => got.length === 1, 'the first delivery');

      await proxy.close();
      await waitUntil(() => events.some((event) => event.type === 'reconnecting'), 'reconnecting');
      // Sends while reconnecting wait for the outcome (here, giving up), within a bound: beyond it they
      // are refused at once, saying what to do.
      const waiting = Array.from({ length: MAX_WAITING_SENDS }, (_, n) =>
        transport.send(queue, n).then(
          () => undefined,
          (error: Error) => error,
        ),
      );
      const refused = await transport.send(queue, 'one too many').then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused).toBeInstanceOf(SendBacklogFullError);
      expect(refused?.message).toMatch(/Wait for the transport's 'reconnected' event/);
      await waitUntil(() => events.some((event) => event.type === 'disconnected'), 'giving up');
      const disconnected = events.find((event) => event.type === 'disconnected') as { error?: Error };
      expect(disconnected.error?.name).toBe('ConnectionError');
      expect(disconnected.error?.message).toMatch(/gave up reconnecting .*connect\(\) and subscribe again/);
      const outcomes = await Promise.all(waiting);
      expect(outcomes.every((outcome) => outcome?.name === 'ConnectionError')).toBe(true);

      expect(transport.isConnected()).toBe(false);
      const internals = transport as unknown as {
        subscriptions: Map<number, unknown>;
        session: unknown;
        reconnecting: unknown;
      };
      expect(internals.subscriptions.size).toBe(0);
      expect(internals.session).toBeUndefined();
      expect(internals.reconnecting).toBeUndefined();
      await expect(transport.ack(got[0])).rejects.toThrow(/while disconnected/);

      const count = events.length;
      await transport.disconnect();
      await transport.disconnect();
      expect(events).toHaveLength(count);
      expect(events.filter((event) => event.type === 'disconnected')).toHaveLength(1);
    } finally {
      await transport.disconnect();
      await proxy.close().catch(() => undefined);
      await rabbitManagement.deleteQueue(queue).catch(() => undefined);
      await rabbitManagement.deleteQueue(`dlq.${queue}`).catch(() => undefined);
    }
  });
});
