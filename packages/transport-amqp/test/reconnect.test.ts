/**
 * Reconnection with acknowledgement on: connections closed from the broker side while messages flow,
 * and a broker restart. Every confirmed send is delivered, subscribers resume, stale acks are dropped.
 */
import { rabbitManagement, requireBroker, restartBroker, sleep, uniqueName } from '@zocalo/test-brokers';
import type { ReceivedHeaders, TransportEvent } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import type { AmqpTransportOptions } from '../src';
import { AmqpTransport } from '../src';
import { connectionsNamed, forceClose, waitUntil } from './helpers';

jest.setTimeout(60_000);

const transports: AmqpTransport[] = [];
const queues: string[] = [];

function transport(
  name: string,
  options: AmqpTransportOptions = {},
): { zocalo: AmqpTransport; logger: RecordingLogger; events: TransportEvent[] } {
  const logger = new RecordingLogger();
  const zocalo = new AmqpTransport({
    host: '127.0.0.1',
    logger,
    connectionName: name,
    reconnect: { initialDelay: 0.05, maxDelay: 1, attempts: 60 },
    ...options,
  });
  const events: TransportEvent[] = [];
  zocalo.onEvent((event) => events.push(event));
  transports.push(zocalo);
  return { zocalo, logger, events };
}

beforeAll(() => requireBroker('amqp'));

afterEach(async () => {
  for (const each of transports.splice(0)) await each.disconnect();
  for (const queue of queues.splice(0)) await rabbitManagement.deleteQueue(queue).catch(() => undefined);
});

/** Sends `count` numbered messages with up to `window` in flight; `confirmed` fills as they are confirmed. */
function sendMany(
  zocalo: AmqpTransport,
  queue: string,
  count: number,
  window: number,
): { confirmed: Set<number>; done: Promise<void> } {
  const confirmed = new Set<number>();
  const failures: unknown[] = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (next < count) {
      const n = next++;
      await zocalo.send(queue, { n }).then(
        () => confirmed.add(n),
        (error: unknown) => failures.push(error),
      );
    }
  }
  const done = Promise.all(Array.from({ length: window }, lane)).then(() => {
    if (failures.length > 0)
      throw new Error(`${failures.length} sends failed, first: ${String(failures[0])}`);
  });
  return { confirmed, done };
}

describe('reconnection', () => {
  it('subscribes again when the queue is deleted under a subscriber', async () => {
    const queue = uniqueName('zocalo.amqp.deleted');
    queues.push(queue, `dlq.${queue}`);
    // Classic: a quorum queue deleted and re-declared at once under a subscriber sometimes keeps a
    // ghost of the old consumer on RabbitMQ 3.10, which takes the messages (see the README).
    const { zocalo, logger } = transport(uniqueName('zocalo-test'), { queueType: 'classic' });
    await zocalo.connect();
    const got: unknown[] = [];
    await zocalo.subscribe(queue, (_header, message) => void got.push(message));
    await rabbitManagement.deleteQueue(queue);
    await waitUntil(
      () => logger.records.some((record) => /cancelled the consumer/.test(record.msg)),
      'the cancel notice',
    );
    // At least one: the send of one poll may be delivered only after that poll's check, and the next
    // poll sends another (checking for exactly one made this test fail now and then).
    await waitUntil(
      () => got.length >= 1,
      'a message after the queue came back',
      15_000,
      async () => {
        await zocalo.send(queue, { back: true }).catch(() => undefined);
      },
    ).catch((error: unknown) => {
      // Say what the transport saw, should it ever fail again.
      const seen = logger.records.map(
        (record) => `${record.level} ${record.msg} ${JSON.stringify(record.fields)}`,
      );
      throw new Error(`${(error as Error).message}\ntransport log:\n${seen.join('\n')}`);
    });
    expect(got[0]).toEqual({ back: true });
    expect(logger.records.some((record) => record.msg === 'amqp transport: subscribed again')).toBe(true);
  });

  it('delivers every confirmed message when the broker force-closes both sides while messages flow', async () => {
    const queue = uniqueName('zocalo.amqp.flow');
    queues.push(queue, `dlq.${queue}`);
    const tag = uniqueName('zocalo-test');
    const consumer = transport(`${tag}-consumer`);
    const producer = transport(`${tag}-producer`);
    await consumer.zocalo.connect();
    await producer.zocalo.connect();
    const received = new Set<number>();
    let listed = 0;
    let deliveries = 0;
    await consumer.zocalo.subscribe(
      queue,
      async (header, message) => {
        deliveries++;
        received.add((message as { n: number }).n);
        if (deliveries % 50 === 0) await sleep(5); // a consumer that takes its time now and then
        await consumer.zocalo.ack(header);
      },
      { acknowledgement: true, prefetch: 20 },
    );
    // The management API lists new connections only after a few seconds: wait, so closing is instant.
    await waitUntil(
      () => listed === 4,
      'the connections in the management API',
      15_000,
      async () => {
        listed = (await connectionsNamed(tag)).length;
      },
    );
    // Enough that the producer is still sending when it is closed: at a few thousand sends a second,
    // three quarters of them leave seconds for the management API's close, even on a busy machine.
    const count = 12_000;
    const sending = sendMany(producer.zocalo, queue, count, 100);
    await waitUntil(() => received.size > 500, 'the flow to start');
    expect(await forceClose(`${tag}-consumer`)).toBe(2);
    await waitUntil(() => sending.confirmed.size > count / 4, 'a quarter of the sends');
    expect(await forceClose(`${tag}-producer`)).toBe(2);
    expect(sending.confirmed.size).toBeLessThan(count); // closed while sends are in flight
    await sending.done;
    expect(sending.confirmed.size).toBe(count);
    await waitUntil(() => received.size === count, `all ${count} messages`, 30_000);
    for (const side of [consumer, producer]) {
      await waitUntil(() => side.events.some((event) => event.type === 'reconnected'), 'the reconnect');
      expect(side.events.map((event) => event.type)).toContain('reconnecting');
      expect(side.zocalo.isConnected()).toBe(true);
    }
  });

  it('drops an ack of a delivery from before the reconnect with a warning, and keeps the new channel', async () => {
    const queue = uniqueName('zocalo.amqp.staleack');
    queues.push(queue, `dlq.${queue}`);
    const tag = uniqueName('zocalo-test');
    const { zocalo, logger, events } = transport(tag);
    await zocalo.connect();
    const got: Array<[ReceivedHeaders, unknown]> = [];
    await zocalo.subscribe(queue, (header, message) => void got.push([header, message]), {
      acknowledgement: true,
    });
    await zocalo.send(queue, { first: true });
    await waitUntil(() => got.length === 1, 'the first delivery');
    const stale = got[0][0];
    await forceClose(tag);
    await waitUntil(() => events.some((event) => event.type === 'reconnected'), 'the reconnect');
    await waitUntil(() => got.length === 2, 'the redelivery');
    expect(got[1][1]).toEqual({ first: true });
    expect(got[1][0].redelivered).toBe(true);
    expect(got[1][0]['message-id']).toBe(stale['message-id']); // same delivery tag, on a new channel
    await zocalo.ack(stale);
    expect(logger.records.some((record) => record.level === 'warn' && /ack dropped/.test(record.msg))).toBe(
      true,
    );
    await zocalo.ack(got[1][0]);
    await zocalo.send(queue, { second: true });
    await waitUntil(() => got.length === 3, 'the next message on the same subscription');
    expect(got[2][1]).toEqual({ second: true });
    await zocalo.ack(got[2][0]);
    await sleep(300);
    expect(got).toHaveLength(3); // nothing redelivered: both acks reached the new channel
  });

  it('rejects a commit whose acks belong to a channel lost since, instead of acking the wrong message', async () => {
    const queue = uniqueName('zocalo.amqp.txlost');
    queues.push(queue, `dlq.${queue}`);
    const tag = uniqueName('zocalo-test');
    const { zocalo, events } = transport(tag);
    await zocalo.connect();
    const got: ReceivedHeaders[] = [];
    const id = await zocalo.subscribe(queue, (header) => void got.push(header), { acknowledgement: true });
    await zocalo.send(queue, 1);
    await waitUntil(() => got.length === 1, 'the delivery');
    const transaction = await zocalo.transactionBegin({ subscription: id });
    await zocalo.ack(got[0], { transaction });
    await forceClose(tag);
    await waitUntil(() => events.some((event) => event.type === 'reconnected'), 'the reconnect');
    await expect(zocalo.transactionCommit(transaction)).rejects.toThrow(/was lost after it began/);
    await waitUntil(() => got.length === 2, 'the redelivery');
  });

  it('survives a broker restart while messages flow: confirmed sends delivered, subscriber resumes', async () => {
    const queue = uniqueName('zocalo.amqp.restart');
    queues.push(queue, `dlq.${queue}`);
    const consumer = transport(uniqueName('zocalo-test'));
    const producer = transport(uniqueName('zocalo-test'));
    await consumer.zocalo.connect();
    await producer.zocalo.connect();
    const received = new Set<number>();
    await consumer.zocalo.subscribe(
      queue,
      (header, message) => {
        received.add((message as { n: number }).n);
        return consumer.zocalo.ack(header);
      },
      { acknowledgement: true, prefetch: 10 },
    );
    // A steady flow (10 senders, ~1000 messages/s) that keeps going through the restart.
    const confirmed = new Set<number>();
    const failures: unknown[] = [];
    let next = 0;
    let stop = false;
    const lane = async (): Promise<void> => {
      while (!stop) {
        const n = next++;
        await producer.zocalo.send(queue, { n }).then(
          () => confirmed.add(n),
          (error: unknown) => failures.push(error),
        );
        await sleep(10);
      }
    };
    const lanes = Promise.all(Array.from({ length: 10 }, lane));
    await waitUntil(() => received.size > 200, 'the flow to start');
    await restartBroker('amqp');
    for (const side of [consumer, producer]) {
      await waitUntil(
        () => side.events.some((event) => event.type === 'reconnected'),
        'the reconnect',
        30_000,
      );
    }
    const atReconnect = confirmed.size;
    await waitUntil(() => confirmed.size > atReconnect + 200, 'sends after the reconnect');
    stop = true;
    await lanes;
    expect(failures).toEqual([]);
    expect(confirmed.size).toBe(next);
    await waitUntil(
      () => [...confirmed].every((n) => received.has(n)),
      `all ${confirmed.size} confirmed messages`,
      30_000,
    );
  });

  it('reports disconnected when reconnection is off', async () => {
    const tag = uniqueName('zocalo-test');
    const { zocalo, events } = transport(tag, { reconnect: false });
    await zocalo.connect();
    await forceClose(tag);
    await waitUntil(() => events.some((event) => event.type === 'disconnected'), 'the disconnected event');
    expect(zocalo.isConnected()).toBe(false);
    await expect(zocalo.send('anything', 1)).rejects.toThrow(/disconnected/);
  });
});
