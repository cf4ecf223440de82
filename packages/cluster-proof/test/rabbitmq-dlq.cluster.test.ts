/**
 * Issue #20: Schlockmeister's protection and the dead-letter count on the RabbitMQ cluster. A policy made
 * through one node's management API applies to the queue seen from another; a message past its delivery
 * limit lands in dlq.<queue>, and every node's management API counts it.
 */
import type { RabbitManagement as Management } from '@zocalo/schlockmeister';
import { RabbitManagement, policyName, rabbitDlqCheck, rabbitProtect } from '@zocalo/schlockmeister';
import { uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { RABBIT_CLUSTER_SETTINGS, RABBIT_NODES, requireRabbitCluster } from './cluster';

jest.setTimeout(60_000);

const managements: Management[] = RABBIT_NODES.map(
  (node) => new RabbitManagement({ url: `http://127.0.0.1:${node.managementPort}` }),
);
const queue = uniqueName('cluster-proof.dlq');
let transport: AmqpTransport | undefined;

afterAll(async () => {
  await transport?.disconnect().catch(() => undefined);
  const [first] = managements;
  for (const name of [queue, `dlq.${queue}`]) {
    await first.request('DELETE', first.path('queues', name)).catch(() => undefined);
  }
  await first.request('DELETE', first.path('policies', policyName(queue))).catch(() => undefined);
});

test('a policy made through one node applies cluster-wide; every node counts the dead letter', async () => {
  await requireRabbitCluster();
  const [z1, z2, z3] = managements;
  // A bare quorum queue, declared through the second node: unprotected until Schlockmeister sees it.
  await z2.request('PUT', z2.path('queues', queue), {
    durable: true,
    auto_delete: false,
    arguments: { 'x-queue-type': 'quorum' },
  });
  const reports = await rabbitProtect(z1, { include: [queue], limit: 2 });
  expect(reports).toEqual([expect.objectContaining({ queue, status: 'created', policy: policyName(queue) })]);
  // The third node applies the policy the first stored.
  let applied: string | undefined;
  for (let i = 0; i < 50 && applied !== policyName(queue); i++) {
    applied = ((await z3.request('GET', z3.path('queues', queue))) as { policy?: string }).policy;
    if (applied !== policyName(queue)) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(applied).toBe(policyName(queue));

  // A message every delivery of which is released: past the delivery limit the broker dead-letters it.
  transport = new AmqpTransport({ ...RABBIT_CLUSTER_SETTINGS, declareQueues: false });
  await transport.connect();
  let deliveries = 0;
  await transport.subscribe(
    queue,
    async (header) => {
      deliveries++;
      await transport!.nack(header, { requeue: true });
    },
    { acknowledgement: true, prefetch: 1 },
  );
  await transport.send(queue, { poison: true });
  // Counts come from the management statistics (every 5 s): each node reports the same.
  const counts: number[] = [];
  for (const management of managements) {
    const deadline = Date.now() + 20_000;
    let count = 0;
    while (count !== 1 && Date.now() < deadline) {
      count = (await rabbitDlqCheck(management, [queue]))[0]?.messages ?? 0;
      if (count !== 1) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    counts.push(count);
  }
  expect(counts).toEqual([1, 1, 1]);
  expect(deliveries).toBe(3); // delivery-limit 2: the third delivery attempt is the dead-letter
});
