/**
 * Issue #20: dead letters on the ActiveMQ pair. Messages nacked through the master land in DLQ.<queue>
 * in the shared store: the master's Jolokia counts them, and after the master is killed the slave, now
 * master, counts the same (python-zocalo's `dlq check` reads the broker that answers).
 */
import { Jolokia, jolokiaDlqCheck } from '@zocalo/schlockmeister';
import { portAnswers, uniqueName } from '@zocalo/test-brokers';
import { StompTransport } from '@zocalo/transport-stomp';
import { AMQ_PAIR, AMQ_PAIR_SETTINGS, clusterScript, killNine, requireActiveMqPair } from './cluster';
import { waitFor } from './load';

jest.setTimeout(90_000);

let transport: StompTransport | undefined;

afterAll(async () => {
  await transport?.disconnect().catch(() => undefined);
  await clusterScript(['start', 'activemq']).catch(() => undefined);
});

function jolokia(port: number): Jolokia {
  return new Jolokia({ url: `http://127.0.0.1:${port}/api/jolokia`, username: 'admin', password: 'admin' });
}

/** The DLQ count of `queue` from the Jolokia on `port`, once that agent answers (it starts with its broker). */
async function dlqCount(port: number, queue: string, expected: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let count = -1;
  while (Date.now() < deadline) {
    count = await jolokiaDlqCheck(jolokia(port), [queue]).then(
      (counts) => counts[0]?.messages ?? 0,
      () => -1,
    );
    if (count === expected) return count;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return count;
}

test('the DLQ count survives the master: the new master reports it from the shared store', async () => {
  await requireActiveMqPair();
  const master = (await portAnswers('127.0.0.1', AMQ_PAIR.a.stompPort)) ? AMQ_PAIR.a : AMQ_PAIR.b;
  const slave = master === AMQ_PAIR.a ? AMQ_PAIR.b : AMQ_PAIR.a;
  const queue = uniqueName('cluster-proof.amqdlq');
  transport = new StompTransport({
    ...AMQ_PAIR_SETTINGS,
    reconnect: { initialDelay: 0.05, maxDelay: 0.5, attempts: 200 },
  });
  await transport.connect();
  let nacked = 0;
  await transport.subscribe(
    queue,
    async (header) => {
      await transport!.nack(header);
      nacked++;
    },
    { acknowledgement: true },
  );
  await transport.send(queue, { poison: 1 });
  await transport.send(queue, { poison: 2 });
  await waitFor(() => nacked === 2, 10_000, 'both messages to be nacked');
  expect(await dlqCount(master.jolokiaPort, queue, 2)).toBe(2);

  await killNine(master.name);
  expect(await dlqCount(slave.jolokiaPort, queue, 2)).toBe(2);
});
