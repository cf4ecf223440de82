/**
 * Proves the broker setup of scripts/brokers.sh with the raw clients (no Zocalo code involved):
 * RabbitMQ over amqplib's promise API and ActiveMQ over stompit, including ActiveMQ's scheduler.
 */
import { connect as amqpConnect } from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { connect as stompConnect } from 'stompit';
import type { Client } from 'stompit';
import { BROKERS, rabbitManagement, requireBroker, sleep, uniqueName } from '../src';

describe('RabbitMQ over AMQP (amqplib)', () => {
  beforeAll(() => requireBroker('amqp'));

  it('publishes on a confirm channel and consumes the message back with its headers', async () => {
    const connection = await amqpConnect(BROKERS.amqp.url);
    try {
      const channel = await connection.createConfirmChannel();
      const queue = uniqueName('test-brokers.smoke');
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });

      channel.sendToQueue(queue, Buffer.from('{"hello":"amqp"}'), {
        persistent: true,
        contentType: 'application/json',
        headers: { 'zocalo-smoke': 'yes' },
      });
      await channel.waitForConfirms();

      const received = new Promise<ConsumeMessage>((resolve, reject) => {
        channel
          .consume(queue, (message) => {
            if (message === null) reject(new Error('consumer cancelled by the broker'));
            else resolve(message);
          })
          .catch(reject);
      });
      const message = await received;
      channel.ack(message);
      expect(message.content.toString('utf-8')).toBe('{"hello":"amqp"}');
      expect(message.properties.headers?.['zocalo-smoke']).toBe('yes');
      expect(message.properties.contentType).toBe('application/json');
      expect(message.fields.redelivered).toBe(false);

      const info = await rabbitManagement.getQueue(queue);
      expect(info?.name).toBe(queue);
      expect(info?.exclusive).toBe(true);
      await channel.close();
    } finally {
      await connection.close();
    }
  });

  it('reads and deletes queues over the management API', async () => {
    const queue = uniqueName('test-brokers.mgmt');
    const connection = await amqpConnect(BROKERS.amqp.url);
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await channel.close();
    } finally {
      await connection.close();
    }
    const info = await rabbitManagement.getQueue(queue);
    expect(info).toMatchObject({ name: queue, vhost: '/', type: 'quorum', durable: true });
    expect(await rabbitManagement.deleteQueue(queue)).toBe(true);
    expect(await rabbitManagement.getQueue(queue)).toBeUndefined();
    expect(await rabbitManagement.deleteQueue(queue)).toBe(false);
  });
});

/** stompit's typings leave out the frame headers that every received message carries. */
type StompMessage = Client.Message & { headers: Record<string, string> };

interface Received {
  message: StompMessage;
  body: string;
  at: number;
}

function openStomp(): Promise<Client> {
  return new Promise((resolve, reject) => {
    stompConnect(
      {
        host: BROKERS.stomp.host,
        port: BROKERS.stomp.port,
        connectHeaders: {
          host: 'localhost',
          login: BROKERS.stomp.user,
          passcode: BROKERS.stomp.pass,
          'heart-beat': '0,0',
        },
      },
      (error, client) => (error ? reject(error) : resolve(client)),
    );
  });
}

function closeStomp(client: Client): Promise<void> {
  return new Promise((resolve, reject) => client.disconnect((error) => (error ? reject(error) : resolve())));
}

/** Sends a text frame and resolves once the broker's RECEIPT for it arrives. */
function sendWithReceipt(client: Client, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const frame = client.send(headers, { onReceipt: () => resolve(), onError: reject });
    frame.end(body);
  });
}

function ackWithReceipt(client: Client, message: StompMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    client.ack(message, {}, { onReceipt: () => resolve(), onError: reject });
  });
}

function nackWithReceipt(client: Client, message: StompMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    client.nack(message, {}, { onReceipt: () => resolve(), onError: reject });
  });
}

/** Subscribes with client-individual acks; `next()` resolves with the next message received. */
function subscribe(client: Client, destination: string): { next: () => Promise<Received> } {
  const waiting: ((result: Received | Error) => void)[] = [];
  const arrived: (Received | Error)[] = [];
  const deliver = (result: Received | Error): void => {
    const taker = waiting.shift();
    if (taker) taker(result);
    else arrived.push(result);
  };
  client.subscribe({ destination, ack: 'client-individual' }, (error, message) => {
    if (error) {
      deliver(error);
      return;
    }
    const at = performance.now();
    message.readString('utf-8', (readError, body) => {
      if (readError) deliver(readError);
      else deliver({ message: message as StompMessage, body: body ?? '', at });
    });
  });
  return {
    next: () =>
      new Promise<Received>((resolve, reject) => {
        const settle = (result: Received | Error): void =>
          result instanceof Error ? reject(result) : resolve(result);
        const early = arrived.shift();
        if (early) settle(early);
        else waiting.push(settle);
      }),
  };
}

describe('ActiveMQ over STOMP (stompit)', () => {
  let consumer: Client;
  let producer: Client;

  beforeAll(async () => {
    await requireBroker('stomp');
    consumer = await openStomp();
    producer = await openStomp();
  });

  afterAll(async () => {
    await Promise.all([consumer, producer].filter(Boolean).map(closeStomp));
  });

  it('connects to ActiveMQ 5.x', () => {
    const headers = (consumer as Client & { headers: Record<string, string> }).headers;
    expect(headers.server).toMatch(/^ActiveMQ\/5\./);
    expect(headers.version).toBe('1.2');
  });

  it('sends with a receipt, receives body and custom header, acks individually', async () => {
    const queue = uniqueName('test-brokers.smoke');
    const subscription = subscribe(consumer, `/queue/${queue}`);
    await sendWithReceipt(
      producer,
      {
        destination: `/queue/${queue}`,
        persistent: 'true',
        'zocalo-smoke': 'yes',
        'content-type': 'text/plain',
      },
      '{"hello":"stomp"}',
    );
    const { message, body } = await subscription.next();
    expect(body).toBe('{"hello":"stomp"}');
    expect(message.headers['zocalo-smoke']).toBe('yes');
    expect(message.headers.destination).toBe(`/queue/${queue}`);
    expect(message.headers['message-id']).toMatch(/^ID:/);
    expect(message.headers.persistent).toBe('true');
    expect(message.headers.redelivered).toBeUndefined();
    await ackWithReceipt(consumer, message);
  });

  it('dead-letters a NACKed persistent message to DLQ.<queue> at once (individualDeadLetterStrategy)', async () => {
    const queue = uniqueName('test-brokers.nack');
    const subscription = subscribe(consumer, `/queue/${queue}`);
    await sendWithReceipt(
      producer,
      { destination: `/queue/${queue}`, persistent: 'true', 'zocalo-smoke': 'poison' },
      'bad',
    );
    const { message } = await subscription.next();
    await nackWithReceipt(consumer, message);
    const dead = await subscribe(consumer, `/queue/DLQ.${queue}`).next();
    expect(dead.body).toBe('bad');
    expect(dead.message.headers['zocalo-smoke']).toBe('poison');
    expect(dead.message.headers.destination).toBe(`/queue/DLQ.${queue}`);
    await ackWithReceipt(consumer, dead.message);
  });

  it('dead-letters a NACKed non-persistent message too (processNonPersistent; ActiveMQ drops it by default)', async () => {
    const queue = uniqueName('test-brokers.nack-transient');
    const subscription = subscribe(consumer, `/queue/${queue}`);
    await sendWithReceipt(producer, { destination: `/queue/${queue}`, persistent: 'false' }, 'fleeting');
    const { message } = await subscription.next();
    await nackWithReceipt(consumer, message);
    const dead = await Promise.race([
      subscribe(consumer, `/queue/DLQ.${queue}`).next(),
      sleep(3000).then(() => {
        throw new Error(
          `nothing in DLQ.${queue}: this ActiveMQ runs an older activemq.xml (no processNonPersistent); ` +
            'scripts/brokers.sh start restarts it with the current one',
        );
      }),
    ]);
    expect(dead.body).toBe('fleeting');
    await ackWithReceipt(consumer, dead.message);
  });

  it('holds back a message with AMQ_SCHEDULED_DELAY (schedulerSupport)', async () => {
    const queue = uniqueName('test-brokers.delay');
    const subscription = subscribe(consumer, `/queue/${queue}`);
    const sentAt = performance.now();
    await sendWithReceipt(producer, { destination: `/queue/${queue}`, AMQ_SCHEDULED_DELAY: '500' }, 'later');
    const { message, body, at } = await subscription.next();
    const waited = at - sentAt;
    expect(body).toBe('later');
    expect(waited).toBeGreaterThanOrEqual(480);
    expect(waited).toBeLessThan(3000);
    await ackWithReceipt(consumer, message);
  });
});
