import { sleep, until } from '@zocalo/test-brokers';
import type { ReceivedHeaders } from '../src';
import { createTransport, defaultMemoryBroker, MemoryBroker, MemoryTransport, RecordingLogger } from '../src';

async function connected(broker: MemoryBroker, deliveryLimit?: number): Promise<MemoryTransport> {
  const transport = new MemoryTransport({
    broker: deliveryLimit ? broker : broker,
    logger: new RecordingLogger(),
  });
  await transport.connect();
  return transport;
}

describe('memory broker', () => {
  it('counts redeliveries and dead-letters a message after the delivery limit', async () => {
    const broker = new MemoryBroker({ deliveryLimit: 3 });
    const transport = await connected(broker);
    const seen: ReceivedHeaders[] = [];
    await transport.subscribe(
      'work',
      (header) => {
        seen.push(header);
        return transport.nack(header, { requeue: true });
      },
      { acknowledgement: true },
    );
    await transport.send('work', { poison: true }, { headers: { origin: 'test' } });
    await until(() => broker.stats('DLQ.work').depth === 1);
    expect(seen).toHaveLength(4);
    expect(seen.map((h) => h.redelivered)).toEqual([false, true, true, true]);
    expect(seen.map((h) => h['x-delivery-count'])).toEqual([undefined, 1, 2, 3]);
    const dead: ReceivedHeaders[] = [];
    await transport.subscribe('DLQ.work', (header) => void dead.push(header));
    await until(() => dead.length === 1);
    expect(dead[0]).toMatchObject({
      origin: 'test',
      'original-destination': '/queue/work',
      'dlq-reason': 'delivery_limit',
      'dlq-deliveries': 4,
    });
    await transport.disconnect();
  });

  it('dead-letters a rejected message at once, with the reason', async () => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    await transport.subscribe('jobs', (header) => transport.nack(header), { acknowledgement: true });
    await transport.send('jobs', 'bad');
    await until(() => broker.stats('DLQ.jobs').depth === 1);
    expect(broker.stats('jobs')).toEqual({ depth: 0, inFlight: 0, consumers: 1, scheduled: 0 });
    await transport.disconnect();
  });

  it('reports depth, messages in flight, consumers and scheduled messages', async () => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    const held: ReceivedHeaders[] = [];
    await transport.subscribe('stats', (header) => void held.push(header), {
      acknowledgement: true,
      prefetch: 2,
    });
    for (let i = 0; i < 5; i++) await transport.send('stats', i);
    await transport.send('stats', 'later', { delay: 30 });
    await until(() => held.length === 2);
    expect(broker.stats('stats')).toEqual({ depth: 3, inFlight: 2, consumers: 1, scheduled: 1 });
    await transport.disconnect();
    // Disconnecting released the two in flight back to the queue.
    expect(broker.stats('stats')).toMatchObject({ depth: 5, inFlight: 0, consumers: 0 });
    broker.reset();
  });

  it('keeps FIFO order through a long queue', async () => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    for (let i = 0; i < 5000; i++) void transport.send('long', i);
    const got: number[] = [];
    await transport.subscribe('long', (_header, message) => void got.push(message as number));
    await until(() => got.length === 5000);
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    await transport.disconnect();
  });

  it('deletes a temporary queue with its subscription', async () => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    const { queue, subscriptionId } = await transport.subscribeTemporary('reply', () => undefined);
    expect(broker.hasQueue(queue)).toBe(true);
    await transport.unsubscribe(subscriptionId);
    expect(broker.hasQueue(queue)).toBe(false);
    await transport.disconnect();
  });

  it('counts an expiration from the end of the delay', async () => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    const got: unknown[] = [];
    await transport.subscribe('late', (_header, message) => void got.push(message));
    await transport.send('late', 'delayed but fresh', { delay: 0.2, expiration: 0.2 });
    await sleep(300);
    expect(got).toEqual(['delayed but fresh']);
    await transport.disconnect();
  });

  it('lets transports on the process-wide default broker see each other', async () => {
    const a = await createTransport('memory');
    const b = await createTransport('memory');
    await a.connect();
    await b.connect();
    const got: unknown[] = [];
    await b.subscribe('shared.default', (_header, message) => void got.push(message));
    await a.send('shared.default', 'across');
    await until(() => got.length === 1);
    expect(got).toEqual(['across']);
    expect(defaultMemoryBroker().hasQueue('shared.default')).toBe(true);
    await a.disconnect();
    await b.disconnect();
  });

  it('rejects a bad default prefetch with TransportConfigError', () => {
    expect(() => new MemoryTransport({ defaultPrefetch: 0 })).toThrow(/defaultPrefetch/);
  });
});
