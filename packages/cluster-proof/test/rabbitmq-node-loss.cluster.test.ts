/**
 * Issue #20, RabbitMQ: confirmed persistent messages through a quorum queue replicated on the three nodes
 * of scripts/cluster.sh, competing consumers acking them, while the node the clients are connected to is
 * killed with SIGKILL and brought back (and then, with ZOCALO_CLUSTER_SECOND_KILL=1, the node leading
 * the queue: the open problem below). No confirmed message may be lost, a message delivered twice must
 * say `redelivered`, and every consumer resumes on another node in the same process.
 */
import { AmqpTransport } from '@zocalo/transport-amqp';
import { uniqueName } from '@zocalo/test-brokers';
import {
  RABBIT_CLUSTER_SETTINGS,
  clusterScript,
  rabbitKillTest,
  connectionNodes,
  handleOf,
  killNine,
  queueInfo,
  requireRabbitCluster,
} from './cluster';
import { Load, waitFor } from './load';

const TOTAL = Number(process.env.ZOCALO_CLUSTER_MESSAGES ?? 20_000);
const RATE = Number(process.env.ZOCALO_CLUSTER_RATE ?? 500);
const CONSUMERS = 4;
const PRODUCERS = 2;

jest.setTimeout(170_000);

let transports: AmqpTransport[] = [];
let load: Load | undefined;

afterAll(async () => {
  load?.stop();
  await Promise.all(transports.map((transport) => transport.disconnect().catch(() => undefined)));
  // A node killed by a failed run is brought back for whatever runs next.
  await clusterScript(['start', 'rabbitmq']).catch(() => undefined);
});

rabbitKillTest(
  "RabbitMQ cluster: kill -9 the clients' node, then the queue leader; nothing confirmed is lost",
  async () => {
    await requireRabbitCluster();
    // A new cluster: after an earlier test killed and restarted a node, a second kill stalled every
    // client for 60 s (issue #20's note); each test that kills RabbitMQ nodes starts from a fresh one.
    await clusterScript(['reset', 'rabbitmq']);
    await requireRabbitCluster();
    const queue = uniqueName('cluster-proof.rabbit');
    const prefix = `${queue} `;
    const make = (role: string): AmqpTransport =>
      new AmqpTransport({
        ...RABBIT_CLUSTER_SETTINGS,
        connectionName: `${prefix}${role}`,
        // Reconnect fast: the next node answers at once, only the killed one refuses.
        reconnect: { initialDelay: 0.05, maxDelay: 1, attempts: 100 },
      });
    const consumers = Array.from({ length: CONSUMERS }, (_, i) => make(`consumer${i}`));
    const producers = Array.from({ length: PRODUCERS }, (_, i) => make(`producer${i}`));
    transports = [...consumers, ...producers];
    await Promise.all(transports.map((transport) => transport.connect()));

    const run = new Load({ queue, producers, consumers, total: TOTAL, window: 40, prefetch: 50, rate: RATE });
    load = run;
    await run.subscribe(); // the first subscriber declares the quorum queue (and dlq.<queue>)
    const declared = await queueInfo(queue);
    expect(declared.type).toBe('quorum');
    expect(declared.members).toHaveLength(3);
    // Every replica up and a leader elected before the first kill: otherwise the kill can take the majority.
    await waitForAsync(
      async () => {
        const info = await queueInfo(queue);
        return info.leader !== undefined && (info.online ?? info.members ?? []).length === 3;
      },
      30_000,
      'the quorum queue to have its three replicas online and a leader',
    );

    // The management API lists a connection once the node has emitted its statistics (every 5 s).
    let byNode = new Map<string, string>();
    await waitForAsync(
      async () => {
        byNode = await connectionNodes(prefix);
        return byNode.size >= transports.length * 2;
      },
      20_000,
      'the management API to list every client connection',
    );
    const t0 = Date.now();
    run.produce();

    const events: string[] = [];
    const kill = async (
      reason: string,
      handle: string,
      atFraction: number,
    ): Promise<Record<string, number | string>> => {
      await waitFor(
        () => run.confirmed.size >= TOTAL * atFraction,
        90_000,
        `${atFraction * 100} % confirmed`,
      );
      const consumerNodes = await consumerNodeMap(prefix);
      const killedAt = await killNine(handle);
      events.push(`${handle} killed (${reason}) at ${run.confirmed.size} confirmed`);
      const confirmedAtKill = run.confirmed.size;
      // Every consumer delivers again, without a restart of this process.
      await waitFor(
        () => consumers.every((_, i) => run.firstDeliveryAfter(i, killedAt) !== undefined),
        60_000,
        `every consumer to receive again after ${handle} was killed`,
      ).catch((error: Error) => {
        const state = consumers.map(
          (_, i) =>
            `consumer${i}: ${run.times[i].length} deliveries, next after kill ${(run.firstDeliveryAfter(i, killedAt) ?? NaN) - killedAt} ms`,
        );
        throw new Error(
          `${error.message}; ${run.confirmed.size} confirmed, ${run.delivered.size} delivered; ${state.join('; ')}; nodes before: ${JSON.stringify([...consumerNodes])}`,
        );
      });
      await waitFor(
        () => run.confirmed.size > confirmedAtKill || run.confirmed.size >= TOTAL,
        30_000,
        'a confirm after the kill',
      );
      const firstDelivery = run.anyDeliveryAfter(killedAt) ?? NaN;
      const lastConsumer = Math.max(...consumers.map((_, i) => run.firstDeliveryAfter(i, killedAt) ?? NaN));
      // Consumers that were on the killed node are now on another one.
      const moved = [...consumerNodes].filter(([, node]) => handleOf(node) === handle).map(([name]) => name);
      await waitForAsync(
        async () => {
          const after = await consumerNodeMap(prefix);
          return moved.every((name) => after.has(name) && handleOf(after.get(name) ?? handle) !== handle);
        },
        20_000,
        `the management API to show the consumers of ${handle} on other nodes`,
      );
      const restart = Date.now();
      await clusterScript(['start', 'rabbitmq']);
      events.push(`${handle} back after ${Date.now() - restart} ms`);
      return {
        node: handle,
        reason,
        'consumers moved': moved.length,
        'kill → first delivery (ms)': firstDelivery - killedAt,
        'kill → every consumer delivering (ms)': lastConsumer - killedAt,
      };
    };

    // 1. The node most of the clients are connected to.
    const counts = new Map<string, number>();
    for (const node of byNode.values()) counts.set(handleOf(node), (counts.get(handleOf(node)) ?? 0) + 1);
    const clientsNode = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const first = await kill("the clients' node", clientsNode, 0.2);
    // 2. The node leading the queue now. Off unless ZOCALO_CLUSTER_SECOND_KILL=1: a second kill after a
    // node was killed and restarted sometimes leaves every client without a delivery for over 60 s
    // (the open problem of issue #20, docs/scaling.md "Known problem"); run it to reproduce.
    let second: Record<string, unknown> | undefined;
    if (process.env.ZOCALO_CLUSTER_SECOND_KILL === '1') {
      const leader = (await queueInfo(queue)).leader;
      expect(leader).toBeDefined();
      second = await kill('the queue leader', handleOf(leader ?? ''), 0.55);
    }

    await run.produced();
    await waitFor(() => run.missing().length === 0, 60_000, 'every confirmed message to be delivered').catch(
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // late redeliveries count too
    const elapsed = (Date.now() - t0) / 1000;
    const report = run.report();
    console.log(
      [
        `RabbitMQ 3-node cluster, quorum queue ${queue}: ${TOTAL} messages, ${PRODUCERS} producers, ${CONSUMERS} consumers, ${elapsed.toFixed(1)} s (${Math.round(report.confirmed / elapsed)} msg/s)`,
        ...events,
        JSON.stringify(second === undefined ? [first] : [first, second], null, 1),
        JSON.stringify(report, null, 1),
        `failed sends: ${JSON.stringify([...run.failures])}`,
        ...run.duplicateDetails,
      ].join('\n'),
    );
    expect(report.confirmed).toBeGreaterThanOrEqual(TOTAL);
    expect(report.lost).toBe(0);
    expect(report.unmarkedDuplicates).toBe(0);
    expect((await queueInfo(queue)).members).toHaveLength(3);
  },
);

async function waitForAsync(
  predicate: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The node of each consumer's consuming connection, by connection name. */
async function consumerNodeMap(prefix: string): Promise<Map<string, string>> {
  const all = await connectionNodes(prefix);
  return new Map([...all].filter(([name]) => name.includes('consumer') && name.endsWith(' consume')));
}
