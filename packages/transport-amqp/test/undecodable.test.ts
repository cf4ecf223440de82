/**
 * #24: a header table nested thousands of levels deep, which any producer can send and RabbitMQ
 * passes on, overflowed amqplib's recursive decoder inside its frame loop: the consumer's connection
 * dropped, the message came back to the next connection, and the valid messages behind it were
 * never delivered. It is now dead-lettered, with its body, without reaching the subscriber; and the
 * quorum queues this transport declares carry a delivery limit, so a message that keeps failing is
 * taken away by the broker whatever the reason.
 */
import { spawnSync } from 'node:child_process';
import type { GetMessage } from 'amqplib';
import { BROKERS, rabbitManagement } from '@zocalo/test-brokers';
import { RecordingLogger } from '@zocalo/workflows';
import { guardContentHeaders, undecodableReason } from '../src/frame-guard';
import { useAmqpFixture, waitUntil } from './helpers';

jest.setTimeout(60_000);

const fixture = useAmqpFixture();

/**
 * Publish a message whose header `deep` is a table nested `depth` levels, from a child process with
 * a stack deep enough for amqplib's recursive encoder (the producer need not be a Node.js one).
 */
function publishDeepHeaders(queue: string, depth: number): void {
  const script = `
    const amqp = require('amqplib');
    (async () => {
      const connection = await amqp.connect(${JSON.stringify(BROKERS.amqp.url)});
      const channel = await connection.createConfirmChannel();
      let value = 'bottom';
      for (let i = 0; i < ${depth}; i++) value = { a: value };
      channel.sendToQueue(${JSON.stringify(queue)}, Buffer.from('{"deep": true}'), { headers: { deep: value }, persistent: true });
      await channel.waitForConfirms();
      await connection.close();
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['--stack-size=60000', '-e', script], {
    cwd: __dirname,
    encoding: 'utf8',
    timeout: 20000,
  });
  if (result.status !== 0) throw new Error(`the deep publisher failed: ${result.stderr}`);
}

describe('amqp transport: messages whose headers cannot be decoded', () => {
  it('dead-letters a 6,000-deep header table with its body; the connection stays up and the messages behind it arrive', async () => {
    const logger = new RecordingLogger();
    const zocalo = await fixture.transport({ logger });
    const queue = fixture.queueName('undecodable');
    const received: unknown[] = [];
    let reconnects = 0;
    zocalo.onEvent((event) => {
      if (event.type === 'reconnecting') reconnects++;
    });
    await zocalo.subscribe(
      queue,
      (header, message) => {
        received.push(message);
        void zocalo.ack(header);
      },
      { acknowledgement: true },
    );
    publishDeepHeaders(queue, 6000);
    for (let i = 0; i < 3; i++) await zocalo.send(queue, { good: i });

    await waitUntil(() => received.length === 3, 'the three good messages');
    expect(received).toEqual([{ good: 0 }, { good: 1 }, { good: 2 }]);
    expect(reconnects).toBe(0);
    expect(zocalo.isConnected()).toBe(true);

    // The broker dead-lettered the message as it was, deep headers and all: reading it needs the guard
    // too (a raw amqplib connection would fail on it as the transport's did).
    guardContentHeaders(fixture.model());
    const dead = await waitForMessage(`dlq.${queue}`);
    expect(dead.content.toString()).toBe('{"deep": true}');
    expect(undecodableReason(dead.properties)).toMatch(/Maximum call stack size exceeded/);
    const logged = logger.records.filter((record) =>
      /dead-lettered without being delivered/.test(record.msg),
    );
    expect(logged).toHaveLength(1);
    expect(logged[0].level).toBe('error');
    expect(logged[0].fields.reason).toMatch(/cannot be decoded \(Maximum call stack size exceeded\)/);
  });

  it('declares its quorum service queues with a delivery limit (default 20, deliveryLimit: 0 for none)', async () => {
    const limited = fixture.queueName('limited');
    const unlimited = fixture.queueName('unlimited');
    await (await fixture.transport()).subscribe(limited, () => undefined);
    await (await fixture.transport({ deliveryLimit: 0 })).subscribe(unlimited, () => undefined);
    expect((await rabbitManagement.getQueue(limited))?.arguments).toMatchObject({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 20,
    });
    expect((await rabbitManagement.getQueue(unlimited))?.arguments).not.toHaveProperty('x-delivery-limit');
  });
});

async function waitForMessage(queue: string): Promise<GetMessage> {
  let message: GetMessage | false = false;
  await waitUntil(
    () => message !== false,
    `a message on ${queue}`,
    10_000,
    async () => {
      message = await fixture.channel().get(queue, { noAck: true });
    },
  );
  return message as unknown as GetMessage;
}
