/**
 * The load pitfall of wire-format.md: 20,000 persistent messages sent without waiting while a consumer
 * (prefetch 1000, client-individual acks) drains the same queue. Raw stompit and stomp.py stall under
 * it; this transport must complete — and were the broker to stall anyway, the stall must be detected,
 * reported and recovered from, never a silent hang.
 */
import type { RecordingLogger, TransportEvent } from '@zocalo/workflows';
import { requireBroker, uniqueName, until } from '@zocalo/test-brokers';
import type { StompTransport } from '../src';
import { stompTransport } from './helpers';

const TOTAL = 20000;

beforeAll(async () => {
  await requireBroker('stomp');
});

describe('publish while consuming', () => {
  const open: StompTransport[] = [];
  afterEach(async () => {
    for (const transport of open.splice(0)) await transport.disconnect().catch(() => undefined);
  });

  it(`moves ${TOTAL} persistent messages through one queue while publishing and consuming at once`, async () => {
    // One transport, as one service process would be: its publisher and subscription connections differ.
    const transport = stompTransport({ stallTimeout: 10, heartbeat: 5 });
    open.push(transport);
    const events: TransportEvent[] = [];
    transport.onEvent((event) => events.push(event));
    await transport.connect();
    const queue = uniqueName('zocalo.stomp.load');
    const seen = new Set<number>();
    let deliveries = 0;
    await transport.subscribe(
      queue,
      (header, message) => {
        deliveries++;
        seen.add((message as { i: number }).i);
        void transport.ack(header);
      },
      { acknowledgement: true, prefetch: 1000 },
    );
    const started = Date.now();
    const payload = 'x'.repeat(150);
    const sends = Array.from({ length: TOTAL }, (_, i) => transport.send(queue, { i, payload }));
    const sent = Promise.all(sends);
    let progress = 0;
    let progressAt = Date.now();
    await until(
      () => {
        if (seen.size > progress) {
          progress = seen.size;
          progressAt = Date.now();
        }
        // Fail loudly (never hang) if nothing moves for longer than stall detection plus a reconnect needs.
        if (Date.now() - progressAt > 30000) throw new Error(`no progress for 30 s at ${seen.size}/${TOTAL}`);
        return seen.size === TOTAL;
      },
      150000,
      `${TOTAL} messages`,
    );
    await sent;
    const seconds = (Date.now() - started) / 1000;
    const logger = (transport as unknown as { logger: RecordingLogger }).logger;
    const stalls = logger.messages('error').filter((message) => /stalled/.test(message));
    const reconnects = events.filter((event) => event.type === 'reconnecting');
    process.stdout.write(
      `publish-while-consume: ${TOTAL} messages in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s), ` +
        `${deliveries - TOTAL} redeliveries, ${stalls.length} stall(s) detected, ${reconnects.length} reconnect attempt(s)\n`,
    );
    // Any stall must have been reported, never silent: each reconnect here carries its reason.
    for (const event of reconnects) expect((event as { error?: Error }).error).toBeDefined();
  }, 180000);
});
