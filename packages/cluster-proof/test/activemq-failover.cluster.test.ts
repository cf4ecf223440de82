/**
 * Issue #20, ActiveMQ: receipted persistent messages through the master of the shared-store pair of
 * scripts/cluster.sh, competing consumers acking them, while the master is killed with SIGKILL: the slave
 * takes the KahaDB store over, the clients fail over along their host list, no receipted message is lost
 * and a message delivered twice says `redelivered`.
 */
import { portAnswers } from '@zocalo/test-brokers';
import { StompTransport } from '@zocalo/transport-stomp';
import { uniqueName } from '@zocalo/test-brokers';
import { AMQ_PAIR, AMQ_PAIR_SETTINGS, clusterScript, killNine, requireActiveMqPair } from './cluster';
import { Load, waitFor } from './load';

const TOTAL = Number(process.env.ZOCALO_CLUSTER_MESSAGES ?? 20_000);
const RATE = Number(process.env.ZOCALO_CLUSTER_RATE ?? 500);
const CONSUMERS = 4;
const PRODUCERS = 2;

jest.setTimeout(170_000);

let transports: StompTransport[] = [];
let load: Load | undefined;

afterAll(async () => {
  load?.stop();
  await Promise.all(transports.map((transport) => transport.disconnect().catch(() => undefined)));
  await clusterScript(['start', 'activemq']).catch(() => undefined);
});

test('ActiveMQ pair: kill -9 the master; the slave takes the store and nothing receipted is lost', async () => {
  await requireActiveMqPair();
  const master = (await portAnswers('127.0.0.1', AMQ_PAIR.a.stompPort)) ? AMQ_PAIR.a : AMQ_PAIR.b;
  const slave = master === AMQ_PAIR.a ? AMQ_PAIR.b : AMQ_PAIR.a;
  const queue = uniqueName('cluster-proof.amq');
  const make = (): StompTransport =>
    new StompTransport({
      ...AMQ_PAIR_SETTINGS,
      reconnect: { initialDelay: 0.05, maxDelay: 0.5, attempts: 400 },
    });
  const consumers = Array.from({ length: CONSUMERS }, make);
  const producers = Array.from({ length: PRODUCERS }, make);
  transports = [...consumers, ...producers];
  await Promise.all(transports.map((transport) => transport.connect()));

  const run = new Load({ queue, producers, consumers, total: TOTAL, window: 40, prefetch: 50, rate: RATE });
  load = run;
  await run.subscribe();
  const t0 = Date.now();
  run.produce();

  await waitFor(() => run.confirmed.size >= TOTAL * 0.3, 90_000, '30 % receipted');
  const confirmedAtKill = run.confirmed.size;
  const killedAt = await killNine(master.name);
  await waitFor(
    () => consumers.every((_, i) => run.firstDeliveryAfter(i, killedAt) !== undefined),
    60_000,
    `every consumer to receive again after ${master.name} was killed`,
  );
  await waitFor(() => run.confirmed.size > confirmedAtKill, 30_000, 'a receipt after the kill');
  const resumed = {
    'kill → first delivery (ms)': (run.anyDeliveryAfter(killedAt) ?? NaN) - killedAt,
    'kill → every consumer delivering (ms)':
      Math.max(...consumers.map((_, i) => run.firstDeliveryAfter(i, killedAt) ?? NaN)) - killedAt,
  };
  expect(await portAnswers('127.0.0.1', slave.stompPort)).toBe(true);
  // The killed broker comes back as the new slave (it waits on the store lock, its port stays closed).
  await clusterScript(['start', 'activemq']);
  expect(await portAnswers('127.0.0.1', master.stompPort)).toBe(false);

  await run.produced();
  await waitFor(() => run.missing().length === 0, 60_000, 'every receipted message to be delivered').catch(
    () => undefined,
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const report = run.report();
  console.log(
    [
      `ActiveMQ shared-store pair, queue ${queue}: ${TOTAL} messages, ${PRODUCERS} producers, ${CONSUMERS} consumers, ${elapsed.toFixed(1)} s; ${master.name} killed at ${confirmedAtKill} receipted, ${slave.name} took over`,
      JSON.stringify(resumed, null, 1),
      JSON.stringify(report, null, 1),
      `failed sends: ${JSON.stringify([...run.failures])}`,
      ...run.duplicateDetails,
    ].join('\n'),
  );
  expect(report.confirmed).toBeGreaterThanOrEqual(TOTAL);
  expect(report.lost).toBe(0);
  expect(report.unmarkedDuplicates).toBe(0);
});
