/**
 * sendTimeout: a send that waits for a reconnection (RabbitMQ reached through a local TCP proxy that
 * goes away) is rejected after `sendTimeout` seconds with a ConnectionError saying what happened and
 * what to do, long before the reconnect policy gives up.
 */
import { rabbitManagement, requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { TransportEvent } from '@zocalo/workflows';
import { ConnectionError, RecordingLogger, TransportConfigError } from '@zocalo/workflows';
import { AmqpTransport, amqpOptionsFromSettings, resolveAmqpOptions } from '../src';
import type { Proxy } from './helpers';
import { proxyToRabbit, waitUntil } from './helpers';

jest.setTimeout(30_000);

beforeAll(() => requireBroker('amqp'));

/** A transport reaching RabbitMQ through a proxy the test can close, and a queue name for it. */
async function throughProxy(
  sendTimeout: number,
): Promise<{ proxy: Proxy; queue: string; transport: AmqpTransport; cleanUp(): Promise<void> }> {
  const proxy = await proxyToRabbit();
  const transport = new AmqpTransport({
    host: '127.0.0.1',
    port: proxy.port,
    logger: new RecordingLogger(),
    // The reconnect policy alone would keep a send waiting for minutes.
    reconnect: { initialDelay: 0.2, maxDelay: 0.5, attempts: 1000 },
    sendTimeout,
  });
  const queue = uniqueName('zocalo.amqp.sendtimeout');
  // The proxy goes first: a session closing through a held proxy would wait for the close timeout.
  const cleanUp = async (): Promise<void> => {
    await proxy.close().catch(() => undefined);
    await transport.disconnect();
    await rabbitManagement.deleteQueue(queue).catch(() => undefined);
    await rabbitManagement.deleteQueue(`dlq.${queue}`).catch(() => undefined);
  };
  return { proxy, queue, transport, cleanUp };
}

describe('sendTimeout', () => {
  it('defaults to 60 s, as STOMP, and is accepted from settings', () => {
    expect(resolveAmqpOptions({}).sendTimeoutMs).toBe(60_000);
    expect(resolveAmqpOptions(amqpOptionsFromSettings({ sendTimeout: '2.5' })).sendTimeoutMs).toBe(2500);
    expect(() => resolveAmqpOptions({ sendTimeout: 0 })).toThrow(TransportConfigError);
  });

  it('rejects a send still waiting for a reconnection after sendTimeout seconds', async () => {
    const { proxy, queue, transport, cleanUp } = await throughProxy(1);
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    try {
      await transport.connect();
      await transport.subscribe(queue, () => undefined); // declares the queue
      await transport.send(queue, 'before');

      await proxy.close();
      await waitUntil(() => events.some((event) => event.type === 'reconnecting'), 'reconnecting');
      const started = Date.now();
      const outcome = await transport.send(queue, 'while away').then(
        () => undefined,
        (error: Error) => error,
      );
      const waited = Date.now() - started;
      expect(outcome).toBeInstanceOf(ConnectionError);
      expect(outcome?.message).toMatch(/did not confirm a send within 1 s/);
      expect(outcome?.message).toMatch(/may not have arrived/);
      expect(outcome?.message).toMatch(/raise sendTimeout/);
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(5000);
      // The transport is still reconnecting: it did not give up, and the send no longer waits.
      expect(events.some((event) => event.type === 'disconnected')).toBe(false);
      const internals = transport as unknown as {
        connection: { waiting: { size: number; bytes: number } };
      };
      expect(internals.connection.waiting.size).toBe(0);
      expect(internals.connection.waiting.bytes).toBe(0);
    } finally {
      await cleanUp();
    }
  });

  it('counts from the send, not from the loss, for a send published again after its channel was lost', async () => {
    const { proxy, queue, transport, cleanUp } = await throughProxy(2);
    try {
      await transport.connect();
      await transport.subscribe(queue, () => undefined); // declares the queue
      // The send is published, but its confirm never comes back: then the connection drops.
      proxy.holdReplies();
      const started = Date.now();
      const outcome = transport.send(queue, 'unconfirmed').then(
        () => undefined,
        (error: Error) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await proxy.close();
      const error = await outcome;
      const waited = Date.now() - started;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error?.message).toMatch(/did not confirm a send within 2 s/);
      // 2 s after the send; a fresh timeout at the loss would have made it 3.5 s.
      expect(waited).toBeGreaterThanOrEqual(1900);
      expect(waited).toBeLessThan(3000);
    } finally {
      await cleanUp();
    }
  });

  it('rejects a send the broker never confirms on a link that stays up, after sendTimeout', async () => {
    const { proxy, queue, transport, cleanUp } = await throughProxy(2);
    try {
      await transport.connect();
      await transport.subscribe(queue, () => undefined); // declares the queue
      // Nothing comes back (as under a resource alarm, or a link gone silent before the heart-beat
      // notices): the send is bounded by sendTimeout all the same.
      proxy.holdReplies();
      const started = Date.now();
      const error = await transport.send(queue, 'unconfirmed').then(
        () => undefined,
        (failure: Error) => failure,
      );
      const waited = Date.now() - started;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error?.message).toMatch(/did not confirm a send within 2 s/);
      expect(error?.message).toMatch(/may not have arrived/);
      expect(waited).toBeGreaterThanOrEqual(1900);
      expect(waited).toBeLessThan(3000);
    } finally {
      await cleanUp();
    }
  });
});
