/**
 * A subscription without acknowledgement whose callback is slower than the broker: the transport holds
 * at most about a prefetch of messages not yet handed to the callback (RabbitMQ pushes no further ahead),
 * and every message still arrives, in order, each acknowledged as it is handed over (at most once).
 */
import type { Channel, ChannelModel } from 'amqplib';
import { rabbitManagement, requireBroker, sleep, uniqueName } from '@zocalo/test-brokers';
import { RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport, NO_ACK_PREFETCH } from '../src';
import { rawConnection, waitUntil } from './helpers';

jest.setTimeout(60_000);

let raw: ChannelModel;
let channel: Channel;
const queues: string[] = [];

beforeAll(async () => {
  await requireBroker('amqp');
  raw = await rawConnection();
  channel = await raw.createChannel();
});

afterAll(async () => {
  await raw.close();
  for (const queue of queues) await rabbitManagement.deleteQueue(queue).catch(() => undefined);
});

async function slowSubscriber(count: number, prefetch: number | undefined): Promise<void> {
  const queue = uniqueName('zocalo.amqp.backlog');
  queues.push(queue, `dlq.${queue}`);
  await channel.assertQueue(queue, { durable: true });
  for (let n = 0; n < count; n++) channel.sendToQueue(queue, Buffer.from(JSON.stringify(n)));
  let queued = 0;
  await waitUntil(
    () => queued === count,
    `${count} messages queued`,
    10_000,
    async () => void ({ messageCount: queued } = await channel.checkQueue(queue)),
  );
  const transport = new AmqpTransport({ host: '127.0.0.1', logger: new RecordingLogger() });
  await transport.connect();
  const got: unknown[] = [];
  let most = 0;
  let subscription = 0;
  const sample = (): void => {
    most = Math.max(most, transport.pendingDeliveries(subscription));
  };
  const sampler = setInterval(sample, 1);
  try {
    subscription = await transport.subscribe(
      queue,
      async (_header, message) => {
        sample();
        got.push(message);
        await sleep(5);
      },
      prefetch === undefined ? {} : { prefetch },
    );
    await waitUntil(() => got.length === count, `${count} deliveries`, 45_000);
    expect(got).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(prefetch ?? NO_ACK_PREFETCH);
    // Each was acknowledged as it was handed over: nothing is left on the broker.
    await sleep(200); // the last ack on its way
    const { messageCount } = await channel.checkQueue(queue);
    expect(messageCount).toBe(0);
  } finally {
    clearInterval(sampler);
    await transport.disconnect();
  }
}

describe('a subscription without acknowledgement and a slow callback', () => {
  it('holds at most the default prefetch (100) not yet handed over; 2000 arrive in order', async () => {
    await slowSubscriber(2000, undefined);
  });

  it('holds at most the subscription prefetch', async () => {
    await slowSubscriber(500, 20);
  });
});
