/**
 * A broker restart while a consumer acknowledges a stream of messages, as a site's would: the ACKs the
 * broker had not read yet are lost with it, so those messages come again — and each second copy must
 * say `redelivered: true`, or a service cannot tell a redelivery from a new message. Nothing is lost.
 *
 * On ActiveMQ this needs `persistJMSRedelivered` (scripts/brokers/activemq.xml): without it, in one run
 * 877 messages acked in the last fraction of a second came back as new.
 */
import { requireBroker, restartBroker, sleep, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import type { Site } from './helpers';
import { ACTIVEMQ, QueueNames, RABBITMQ, closeAll, connect } from './helpers';

const MESSAGES = 4000;

jest.setTimeout(120_000);

describe.each([ACTIVEMQ, RABBITMQ])('a broker restart on $label', (site: Site) => {
  const opened: Transport[] = [];
  const queues = new QueueNames(site);

  beforeAll(() => requireBroker(site.broker!));
  afterEach(async () => {
    await closeAll(opened);
    await queues.remove();
  });

  it('every message acked just before the restart that comes again is flagged redelivered; none is lost', async () => {
    const queue = queues.name('test.proof.restart');
    const producer = await connect(site, opened);
    const consumer = await connect(site, opened);
    const copies = new Map<number, boolean[]>();
    let deliveries = 0;
    let reconnected = 0;
    consumer.onEvent((event) => {
      if (event.type === 'reconnected') reconnected++;
    });
    // A consumer that takes a moment per message, with plain acks (outside a transaction): at the
    // restart up to a prefetch of messages are out to it, and the broker may not have read its last acks.
    await consumer.subscribe(
      queue,
      async (header, message) => {
        deliveries++;
        const n = (message as { n: number }).n;
        const seen = copies.get(n) ?? [];
        seen.push(header.redelivered === true);
        copies.set(n, seen);
        await sleep(2);
        await consumer.ack(header);
      },
      { acknowledgement: true, prefetch: 50 },
    );
    for (let n = 0; n < MESSAGES; n += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => producer.send(queue, { n: n + k })));
    }
    await until(() => copies.size >= MESSAGES / 4, 30_000, 'a quarter of the messages consumed');
    await restartBroker(site.broker!);
    await until(() => reconnected > 0, 60_000, 'the consumer to reconnect');
    await until(() => copies.size >= MESSAGES, 90_000, `all ${MESSAGES} messages (got ${copies.size})`);
    await sleep(1500);

    let repeated = 0;
    let unflagged = 0;
    for (const seen of copies.values()) {
      if (seen.length < 2) continue;
      repeated++;
      unflagged += seen.slice(1).filter((flag) => !flag).length;
    }
    process.stdout.write(
      `${site.label}: ${deliveries} deliveries of ${MESSAGES} messages across a restart; ` +
        `${repeated} came again, ${unflagged} second copies without redelivered\n`,
    );
    expect(copies.size).toBe(MESSAGES);
    expect(repeated).toBeGreaterThan(0);
    expect(unflagged).toBe(0);
  });
});
