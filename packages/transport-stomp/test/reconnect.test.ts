/**
 * Restart ActiveMQ while messages flow: the transport reconnects with backoff, re-subscribes, retries
 * unconfirmed sends, drops acks of deliveries from the old connection with a warning, and every
 * confirmed message arrives after the reconnect (unacknowledged ones are redelivered by the broker).
 */
import type { ReceivedHeaders, RecordingLogger, TransportEvent } from '@zocalo/workflows';
import { requireBroker, restartBroker, sleep, uniqueName, until } from '@zocalo/test-brokers';
import type { StompTransport } from '../src';
import { stompTransport } from './helpers';

const RECONNECT = { initialDelay: 0.2, maxDelay: 1, attempts: 120 };

beforeAll(async () => {
  await requireBroker('stomp');
});

describe('broker restart', () => {
  const open: StompTransport[] = [];
  afterEach(async () => {
    for (const transport of open.splice(0)) await transport.disconnect().catch(() => undefined);
  });

  it('delivers every confirmed message after ActiveMQ restarts mid-stream', async () => {
    const publisher = stompTransport({ reconnect: RECONNECT, sendTimeout: 90 });
    const consumer = stompTransport({ reconnect: RECONNECT });
    open.push(publisher, consumer);
    const events: TransportEvent['type'][] = [];
    consumer.onEvent((event) => events.push(event.type));
    await publisher.connect();
    await consumer.connect();
    const queue = uniqueName('zocalo.stomp.restart');

    const received = new Set<number>();
    let stale: ReceivedHeaders | undefined;
    await consumer.subscribe(
      queue,
      async (header, message) => {
        const n = (message as { n: number }).n;
        received.add(n);
        // Hold one delivery back unacknowledged across the restart, to ack it afterwards.
        if (n === 0 && stale === undefined) {
          stale = header;
          return;
        }
        await consumer.ack(header);
      },
      { acknowledgement: true, prefetch: 50 },
    );

    const confirmed = new Set<number>();
    const failed: Error[] = [];
    let next = 0;
    let stop = false;
    // A steady stream: 20 sends in flight at a time, each resolving only once the broker has it.
    const streams = Array.from({ length: 20 }, async () => {
      while (!stop) {
        const n = next++;
        await publisher.send(queue, { n }).then(
          () => confirmed.add(n),
          (error: Error) => {
            // Stop at the first failure: after the transport gives up, sends fail at once, and a loop
            // that kept sending would spin without yielding (and grow `failed` until out of memory).
            failed.push(error);
            stop = true;
          },
        );
      }
    });
    await until(() => confirmed.size >= 500, 20000, '500 confirmed sends before the restart');
    await restartBroker('stomp');
    await until(() => events.includes('reconnected'), 30000, 'the consumer to reconnect');
    const before = confirmed.size;
    await until(() => confirmed.size >= before + 500, 30000, '500 more confirmed sends after the restart');
    stop = true;
    await Promise.all(streams);

    await until(
      () => [...confirmed].every((n) => received.has(n)),
      30000,
      'every confirmed message to arrive',
    );
    expect(failed).toEqual([]);
    expect(events).toContain('reconnecting');
    // The delivery held across the restart came from the old connection: its ack is dropped, with a warning.
    await consumer.ack(stale!);
    const logger = (consumer as unknown as { logger: RecordingLogger }).logger;
    expect(logger.messages('warn').some((message) => /dropped/.test(message))).toBe(true);
    await sleep(100);
  }, 120000);
});
