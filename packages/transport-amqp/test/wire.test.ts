/**
 * What goes over the wire, checked with a raw amqplib client on the other end: python-workflows'
 * properties and headers, the received header object, missing queues, exchanges and broadcasts.
 */
import type { Message } from 'amqplib';
import { rabbitManagement, sleep, uniqueName } from '@zocalo/test-brokers';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { BrokerError, createTransport, DestinationNotFoundError, RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport } from '../src';
import { useAmqpFixture, waitUntil } from './helpers';

jest.setTimeout(30_000);

const fixture = useAmqpFixture();
const { transport, queueName } = fixture;

async function rawNext(queue: string): Promise<Message> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const message = await fixture.channel().get(queue, { noAck: true });
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`nothing arrived on ${queue}`);
    await sleep(20);
  }
}

describe('amqp transport on the wire', () => {
  it('is registered as amqp and pika', async () => {
    const amqp = await createTransport('amqp', { host: '127.0.0.1' });
    const pika = await createTransport('pika', { '--rabbit-host': '127.0.0.1' });
    expect(amqp).toBeInstanceOf(AmqpTransport);
    expect(pika).toBeInstanceOf(AmqpTransport);
    expect(pika.name).toBe('amqp');
  });

  it('sends like python-workflows: default exchange, delivery_mode 2, headers table, expiration in ms', async () => {
    const zocalo = await transport();
    const queue = queueName('props');
    await fixture.channel().assertQueue(queue, { durable: true });
    await zocalo.send(
      queue,
      { a: 1 },
      { headers: { 'workflows-recipe': true, n: 7, s: 'x' }, expiration: 1.5 },
    );
    const message = await rawNext(queue);
    expect(message.fields.exchange).toBe('');
    expect(message.fields.routingKey).toBe(queue);
    expect(message.properties.deliveryMode).toBe(2);
    expect(message.properties.expiration).toBe('1500');
    expect(message.properties.headers).toEqual({ 'workflows-recipe': true, n: 7, s: 'x' });
    expect(JSON.parse(message.content.toString())).toEqual({ a: 1 });
    await zocalo.send(queue, 'x', { persistent: false });
    expect((await rawNext(queue)).properties.deliveryMode).toBe(1);
  });

  it('hands over the header object of the spec, and headers survive the round trip', async () => {
    const zocalo = await transport();
    const queue = queueName('headers');
    const received: Array<[ReceivedHeaders, unknown]> = [];
    const id = await zocalo.subscribe(queue, (header, message) => void received.push([header, message]), {
      acknowledgement: true,
    });
    const headers = {
      'workflows-recipe': true,
      text: 'héllo',
      whole: 42,
      big: 2 ** 40,
      fraction: 0.25,
      no: false,
    };
    await zocalo.send(queue, { payload: [1, 2] }, { headers });
    await waitUntil(() => received.length === 1, 'the message');
    const [header, message] = received[0];
    expect(message).toEqual({ payload: [1, 2] });
    expect(header).toEqual({
      ...headers,
      consumer_tag: String(id),
      delivery_mode: 2,
      exchange: '',
      'message-id': '1',
      redelivered: false,
      routing_key: queue,
      subscription: id,
    });
    await zocalo.ack(header);
  });

  it('reads what python-workflows sends: json.dumps body, boolean recipe header, non-JSON text as a string', async () => {
    const zocalo = await transport();
    const queue = queueName('python');
    const received: Array<[ReceivedHeaders, unknown]> = [];
    await zocalo.subscribe(queue, (header, message) => void received.push([header, message]));
    await sleep(100);
    fixture
      .channel()
      .sendToQueue(queue, Buffer.from('{"recipe": {"1": {"queue": "x"}}, "recipe-pointer": 1}'), {
        deliveryMode: 2,
        headers: { 'workflows-recipe': true },
      });
    fixture.channel().sendToQueue(queue, Buffer.from('not { json'), { deliveryMode: 2, headers: {} });
    await waitUntil(() => received.length === 2, 'both messages');
    expect(received[0][0]['workflows-recipe']).toBe(true);
    expect(received[0][1]).toEqual({ recipe: { '1': { queue: 'x' } }, 'recipe-pointer': 1 });
    expect(received[1][1]).toBe('not { json');
  });

  it('receives a body that is not valid UTF-8 with U+FFFD, with one warning naming the message', async () => {
    const logger = new RecordingLogger();
    const zocalo = await transport({ logger });
    const queue = queueName('utf8');
    const received: Array<[ReceivedHeaders, unknown]> = [];
    const bytes: unknown[] = [];
    await zocalo.subscribe(queue, (header, message) => void received.push([header, message]));
    await zocalo.subscribe(`${queue}.bytes`, (_header, message) => void bytes.push(message), {
      rawBytes: true,
    });
    await sleep(100);
    // As a Python producer sending bytes would: two invalid sequences in one body.
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x22, 0x7d]);
    fixture.channel().sendToQueue(queue, body, { deliveryMode: 2, headers: {} });
    fixture.channel().sendToQueue(`${queue}.bytes`, body, { deliveryMode: 2, headers: {} });
    await waitUntil(() => received.length === 1 && bytes.length === 1, 'both messages');
    expect(received[0][1]).toEqual({ a: '\uFFFD\uFFFD' });
    expect(bytes[0]).toEqual(body);
    const id = received[0][0]['message-id'];
    expect(logger.at('warn')).toEqual([
      {
        level: 'warn',
        msg:
          `message ${id} on ${queue} is not valid UTF-8; invalid bytes were replaced by U+FFFD ` +
          '(subscribe with rawBytes to receive the bytes)',
        fields: expect.objectContaining({ messageId: id, destination: queue }),
      },
    ]);
  });

  it('rejects a send to a queue that does not exist with DestinationNotFoundError naming it', async () => {
    const zocalo = await transport();
    const queue = uniqueName('zocalo.amqp.missing');
    const error = await zocalo.send(queue, { lost: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationNotFoundError);
    expect((error as Error).message).toContain(queue);
    // Sends before and after, to other queues, are unaffected; many in flight at once.
    const other = queueName('present');
    await fixture.channel().assertQueue(other, { durable: true });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => zocalo.send(i % 10 === 3 ? queue : other, { i })),
    );
    const failed = results.map((result, i) => (result.status === 'rejected' ? i : -1)).filter((i) => i >= 0);
    expect(failed).toEqual([3, 13, 23, 33, 43]);
    for (const i of failed)
      expect((results[i] as PromiseRejectedResult).reason).toBeInstanceOf(DestinationNotFoundError);
    expect((await fixture.channel().checkQueue(other)).messageCount).toBe(45);
    // A delayed send to a missing queue fails now as well, rather than vanish later.
    await expect(zocalo.send(queue, 1, { delay: 0.1 })).rejects.toBeInstanceOf(DestinationNotFoundError);
  });

  it('broadcasts to a durable fanout exchange named by the topic, with or without subscribers', async () => {
    const zocalo = await transport();
    const topic = uniqueName('zocalo.amqp.topic');
    await zocalo.broadcast(topic, { nobody: 'listens' });
    await fixture.channel().checkExchange(topic);
    const exchange = await fetch(`http://127.0.0.1:15672/api/exchanges/%2F/${encodeURIComponent(topic)}`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    }).then((response) => response.json() as Promise<{ type: string; durable: boolean }>);
    expect(exchange).toMatchObject({ type: 'fanout', durable: true });
    const got: unknown[] = [];
    await zocalo.subscribeBroadcast(topic, (_header, message) => void got.push(message));
    await zocalo.broadcast(topic, { hello: 1 });
    await waitUntil(() => got.length === 1, 'the broadcast');
    expect(got).toEqual([{ hello: 1 }]);
    await fixture.channel().deleteExchange(topic);
  });

  it('broadcasts again after the exchange is deleted under it', async () => {
    const zocalo = await transport();
    const topic = uniqueName('zocalo.amqp.gone');
    await zocalo.broadcast(topic, 1);
    await fixture.channel().deleteExchange(topic);
    // The cached exchange is gone: the publish channel closes (404), the transport re-declares and sends.
    await zocalo.broadcast(topic, 2);
    await zocalo.broadcast(topic, 3);
    await fixture.channel().checkExchange(topic);
    await fixture.channel().deleteExchange(topic);
  });

  it('sends through a named exchange with the exchange option', async () => {
    const zocalo = await transport();
    const queue = queueName('viaexchange');
    await fixture.channel().assertQueue(queue, { durable: true });
    await fixture.channel().bindQueue(queue, 'amq.direct', queue);
    await zocalo.send(queue, { via: 'amq.direct' }, { exchange: 'amq.direct' });
    const message = await rawNext(queue);
    expect(message.fields.exchange).toBe('amq.direct');
    await expect(zocalo.send(uniqueName('unbound'), 1, { exchange: 'amq.direct' })).rejects.toBeInstanceOf(
      DestinationNotFoundError,
    );
    await expect(zocalo.send(queue, 1, { exchange: uniqueName('no.such.exchange') })).rejects.toBeInstanceOf(
      BrokerError,
    );
  });

  it('declares a missing queue durable, quorum, dead-lettered to dlq.<queue>, and uses an existing one as it is', async () => {
    const zocalo = await transport();
    const queue = queueName('declared');
    const id = await zocalo.subscribe(queue, () => undefined);
    await zocalo.unsubscribe(id);
    const info = await rabbitManagement.getQueue(queue);
    expect(info).toMatchObject({ durable: true, type: 'quorum' });
    expect(info?.arguments).toMatchObject({
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': `dlq.${queue}`,
    });
    expect(await rabbitManagement.getQueue(`dlq.${queue}`)).toMatchObject({ durable: true, type: 'quorum' });
    // A classic queue with other arguments: subscribed to as it is.
    const existing = queueName('existing');
    await fixture.channel().assertQueue(existing, { durable: false, arguments: { 'x-max-length': 10 } });
    const got: unknown[] = [];
    await zocalo.subscribe(existing, (_header, message) => void got.push(message));
    await zocalo.send(existing, 'x');
    await waitUntil(() => got.length === 1, 'the message');
    expect((await rabbitManagement.getQueue(existing))?.type).toBe('classic');
  });

  it('refuses to subscribe to a missing queue when told not to declare queues', async () => {
    const zocalo = await transport({ declareQueues: false });
    await expect(
      zocalo.subscribe(uniqueName('zocalo.amqp.nodeclare'), () => undefined),
    ).rejects.toBeInstanceOf(DestinationNotFoundError);
  });

  it('gives temporary queues exclusive, auto-delete, non-durable, named transient.<hint>.<uuid>', async () => {
    const zocalo = await transport();
    const { queue } = await zocalo.subscribeTemporary('zocalo.amqp.temp', () => undefined);
    expect(queue).toMatch(/^transient\.zocalo\.amqp\.temp\.[0-9a-f-]{36}$/);
    const info = await rabbitManagement.getQueue(queue);
    expect(info).toMatchObject({ durable: false, auto_delete: true, exclusive: true });
  });

  it('refuses at the sender what amqplib or RabbitMQ cannot carry, and the good sends beside it all arrive', async () => {
    const zocalo = await transport();
    const events: string[] = [];
    zocalo.onEvent((event) => events.push(event.type));
    const queue = queueName('refused');
    const received: unknown[] = [];
    await zocalo.subscribe(queue, (_header, message) => void received.push(message));
    const bad = [
      zocalo.send(queue, 'long name', { headers: { ['k'.repeat(300)]: 1 } }),
      zocalo.send(queue, 'huge table', { headers: { l: 'x'.repeat(200_000) } }),
      zocalo.send(queue, 'nan', { headers: { d: Number.NaN } }),
      zocalo.send(queue, 'beyond int64', { headers: { '': -9223372036854778000 } }),
      zocalo.rawSend(queue, Buffer.alloc(134_217_729)),
    ];
    const good = Array.from({ length: 30 }, (_, n) => zocalo.send(queue, n));
    const outcomes = await Promise.allSettled(bad);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(outcomes.map((outcome) => ((outcome as PromiseRejectedResult).reason as Error).name)).toEqual([
      'MessageRefusedError',
      'MessageRefusedError',
      'InvalidArgumentError',
      'MessageRefusedError',
      'MessageRefusedError',
    ]);
    await Promise.all(good);
    await waitUntil(() => received.length >= 30, '30 good messages');
    await sleep(300);
    expect(received).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(events).toEqual([]);
  });
});
