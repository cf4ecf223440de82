/** nack semantics, transactions on a subscription's channel, exclusive standby: on the real broker. */
import type { Channel } from 'amqplib';
import { rabbitManagement, sleep } from '@zocalo/test-brokers';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { InvalidArgumentError } from '@zocalo/workflows';
import { useAmqpFixture, waitUntil } from './helpers';

jest.setTimeout(30_000);

const fixture = useAmqpFixture();
const { transport, queueName } = fixture;

function collector(): {
  got: Array<[ReceivedHeaders, unknown]>;
  callback: (h: ReceivedHeaders, m: unknown) => void;
} {
  const got: Array<[ReceivedHeaders, unknown]> = [];
  return { got, callback: (header, message) => void got.push([header, message]) };
}

describe('nack without requeue never drops a message', () => {
  it('copies it to dlq.<queue> with an x-death entry when the queue has no dead-letter exchange', async () => {
    const zocalo = await transport();
    const queue = queueName('selfdlq');
    await fixture.channel().assertQueue(queue, { durable: true }); // someone else's queue: no dead-letter exchange
    const { got, callback } = collector();
    await zocalo.subscribe(queue, callback, { acknowledgement: true });
    await zocalo.send(queue, { poison: true }, { headers: { 'workflows-recipe': true } });
    await waitUntil(() => got.length === 1, 'the message');
    await zocalo.nack(got[0][0]);
    const dead = await fixture.channel().get(`dlq.${queue}`, { noAck: true });
    expect(dead).not.toBe(false);
    if (!dead) return;
    expect(JSON.parse(dead.content.toString())).toEqual({ poison: true });
    expect(dead.properties.deliveryMode).toBe(2);
    const headers = dead.properties.headers ?? {};
    expect(headers['workflows-recipe']).toBe(true);
    expect(headers['x-death']).toEqual([
      expect.objectContaining({ reason: 'rejected', queue, exchange: '', 'routing-keys': [queue], count: 1 }),
    ]);
    expect(headers['x-first-death-reason']).toBe('rejected');
    // ... and the original is gone from its queue.
    await sleep(200);
    expect((await fixture.channel().checkQueue(queue)).messageCount).toBe(0);
    expect(got).toHaveLength(1);
  });

  it('rejects natively into the dead-letter exchange of a queue the transport declared', async () => {
    const zocalo = await transport();
    const queue = queueName('brokerdlq');
    const { got, callback } = collector();
    await zocalo.subscribe(queue, callback, { acknowledgement: true });
    await zocalo.send(queue, { poison: 2 });
    await waitUntil(() => got.length === 1, 'the message');
    await zocalo.nack(got[0][0]);
    let dead: Awaited<ReturnType<Channel['get']>> = false;
    for (let i = 0; i < 50 && !dead; i++) {
      dead = await fixture.channel().get(`dlq.${queue}`, { noAck: true });
      if (!dead) await sleep(50);
    }
    expect(dead && dead.properties.headers?.['x-death']?.[0]).toMatchObject({ reason: 'rejected', queue });
  });

  it('counts deliveries of a quorum queue on nack with requeue', async () => {
    const zocalo = await transport();
    const queue = queueName('requeue');
    const seen: ReceivedHeaders[] = [];
    await zocalo.subscribe(
      queue,
      (header) => {
        seen.push(header);
        return seen.length < 3 ? zocalo.nack(header, { requeue: true }) : zocalo.ack(header);
      },
      { acknowledgement: true },
    );
    await zocalo.send(queue, 'again');
    await waitUntil(() => seen.length === 3, 'three deliveries');
    expect(seen.map((header) => header.redelivered)).toEqual([false, true, true]);
    expect(seen.map((header) => header['x-delivery-count'])).toEqual([undefined, 1, 2]);
  });
});

describe('transactions on a subscription channel', () => {
  it('commits acks and sends together, and plain acks still work on that channel afterwards', async () => {
    const zocalo = await transport();
    const input = queueName('txin');
    const output = queueName('txout');
    const out = collector();
    await zocalo.subscribe(output, out.callback);
    const work = collector();
    const id = await zocalo.subscribe(input, work.callback, { acknowledgement: true, prefetch: 10 });
    for (let i = 0; i < 3; i++) await zocalo.send(input, { i });
    await waitUntil(() => work.got.length === 3, 'three inputs');
    const transaction = await zocalo.transactionBegin({ subscription: id });
    await zocalo.ack(work.got[0][0], { transaction });
    await zocalo.send(output, { result: 0 }, { transaction });
    await zocalo.transactionCommit(transaction);
    // The channel is now in transaction mode: a plain ack and a plain nack are committed at once.
    await zocalo.ack(work.got[1][0]);
    await zocalo.nack(work.got[2][0], { requeue: true });
    await waitUntil(() => out.got.length === 1 && work.got.length === 4, 'the output and the redelivery');
    expect(work.got[3][1]).toEqual({ i: 2 });
    await zocalo.ack(work.got[3][0]);
    await zocalo.unsubscribe(id);
    await sleep(200);
    expect((await fixture.channel().checkQueue(input)).messageCount).toBe(0);
  });

  it('refuses to settle messages of two subscriptions in one transaction', async () => {
    const zocalo = await transport();
    const a = collector();
    const b = collector();
    const qa = queueName('txa');
    const qb = queueName('txb');
    await zocalo.subscribe(qa, a.callback, { acknowledgement: true });
    await zocalo.subscribe(qb, b.callback, { acknowledgement: true });
    await zocalo.send(qa, 1);
    await zocalo.send(qb, 2);
    await waitUntil(() => a.got.length === 1 && b.got.length === 1, 'both');
    const transaction = await zocalo.transactionBegin();
    await zocalo.ack(a.got[0][0], { transaction });
    await expect(zocalo.ack(b.got[0][0], { transaction })).rejects.toBeInstanceOf(InvalidArgumentError);
    await zocalo.transactionCommit(transaction);
  });
});

describe('exclusive subscriptions', () => {
  it('stand by on a classic queue held by another exclusive consumer, and take over when it leaves', async () => {
    const first = await transport({ queueType: 'classic' });
    const second = await transport({ queueType: 'classic' });
    const queue = queueName('exclusiveclassic');
    const a = collector();
    const b = collector();
    const id = await first.subscribe(queue, a.callback, { exclusive: true });
    await second.subscribe(queue, b.callback, { exclusive: true });
    expect((await rabbitManagement.getQueue(queue))?.type).toBe('classic');
    for (let i = 0; i < 4; i++) await first.send(queue, i);
    await waitUntil(() => a.got.length === 4, 'four messages to the exclusive consumer');
    await first.unsubscribe(id);
    await first.send(queue, 'next');
    await waitUntil(() => b.got.length === 1, 'the standby consumer taking over');
    expect(b.got[0][1]).toBe('next');
  });
});
