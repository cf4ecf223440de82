/** Delayed delivery without the delayed-message plugin (holding queues), on the real broker. */
import { rabbitManagement, uniqueName } from '@zocalo/test-brokers';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { holdingQueueName } from '../src';
import { useAmqpFixture, waitUntil } from './helpers';

jest.setTimeout(30_000);

const { transport, keep } = useAmqpFixture();

describe('delayed delivery without the plugin', () => {
  it('delivers delays of 0.2 s and 2 s sent together in order, neither early', async () => {
    const zocalo = await transport();
    const queue = uniqueName('zocalo.amqp.delay');
    keep(queue, `dlq.${queue}`);
    const arrivals: Array<{ at: number; message: unknown; header: ReceivedHeaders }> = [];
    let sent = 0;
    await zocalo.subscribe(
      queue,
      (header, message) => void arrivals.push({ at: Date.now() - sent, message, header }),
    );
    sent = Date.now();
    await Promise.all([
      zocalo.send(queue, { after: 2 }, { delay: 2 }),
      zocalo.send(queue, { after: 0.2 }, { delay: 0.2 }),
      zocalo.send(queue, { after: 0 }),
    ]);
    await waitUntil(() => arrivals.length === 3, 'three messages', 5000);
    expect(arrivals.map((arrival) => arrival.message)).toEqual([{ after: 0 }, { after: 0.2 }, { after: 2 }]);
    expect(arrivals[1].at).toBeGreaterThanOrEqual(200);
    expect(arrivals[1].at).toBeLessThan(1000);
    expect(arrivals[2].at).toBeGreaterThanOrEqual(2000);
    expect(arrivals[2].at).toBeLessThan(3000);
    // The broker's own record of the holding queue: reason expired (not poison history).
    const history = JSON.parse(String(arrivals[1].header['x-death'])) as Array<Record<string, unknown>>;
    expect(history[0]).toMatchObject({
      reason: 'expired',
      queue: holdingQueueName({ kind: 'queue', exchange: '', routingKey: queue }, 200),
    });
    expect(typeof history[0].time).toBe('number');
    keep(
      holdingQueueName({ kind: 'queue', exchange: '', routingKey: queue }, 200),
      holdingQueueName({ kind: 'queue', exchange: '', routingKey: queue }, 2000),
    );
  });

  it('keeps headers and body of a delayed message, and declares durable quorum holding queues that expire', async () => {
    const zocalo = await transport();
    const queue = uniqueName('zocalo.amqp.delayheaders');
    const holding = holdingQueueName({ kind: 'queue', exchange: '', routingKey: queue }, 300);
    keep(queue, `dlq.${queue}`, holding);
    const got: Array<[ReceivedHeaders, unknown]> = [];
    await zocalo.subscribe(queue, (header, message) => void got.push([header, message]));
    await zocalo.send(queue, { body: 'kept' }, { delay: 0.3, headers: { 'workflows-recipe': true, n: 1 } });
    const info = await rabbitManagement.getQueue(holding);
    expect(info).toMatchObject({ durable: true, type: 'quorum' });
    expect(info?.arguments).toMatchObject({
      'x-message-ttl': 300,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
      'x-dead-letter-strategy': 'at-least-once',
    });
    expect(Number(info?.arguments['x-expires'])).toBeGreaterThan(300);
    await waitUntil(() => got.length === 1, 'the delayed message');
    expect(got[0][1]).toEqual({ body: 'kept' });
    expect(got[0][0]).toMatchObject({ 'workflows-recipe': true, n: 1, exchange: '', routing_key: queue });
  });

  it('delays broadcasts through a holding queue that dead-letters into the fanout exchange', async () => {
    const zocalo = await transport();
    const topic = uniqueName('zocalo.amqp.delaytopic');
    keep(holdingQueueName({ kind: 'topic', exchange: topic, routingKey: '' }, 250));
    const got: number[] = [];
    await zocalo.subscribeBroadcast(topic, () => void got.push(Date.now()));
    const sent = Date.now();
    await zocalo.broadcast(topic, { later: true }, { delay: 0.25 });
    await waitUntil(() => got.length === 1, 'the delayed broadcast');
    expect(got[0] - sent).toBeGreaterThanOrEqual(250);
  });

  it('sends delayed messages inside a transaction only on commit', async () => {
    const zocalo = await transport();
    const queue = uniqueName('zocalo.amqp.delaytx');
    keep(queue, `dlq.${queue}`, holdingQueueName({ kind: 'queue', exchange: '', routingKey: queue }, 100));
    const got: unknown[] = [];
    await zocalo.subscribe(queue, (_header, message) => void got.push(message));
    const transaction = await zocalo.transactionBegin();
    await zocalo.send(queue, { delayed: 'tx' }, { delay: 0.1, transaction });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(got).toEqual([]);
    await zocalo.transactionCommit(transaction);
    await waitUntil(() => got.length === 1, 'the delayed message');
  });
});
