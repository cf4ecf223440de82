/**
 * The clusters of scripts/cluster.sh as the fault tests see them: ports, node pids (for kill -9), the
 * management API of whichever node answers, and a guard that fails a run when a cluster is not up.
 */
import { execFile } from 'node:child_process';
import { portAnswers, repoRoot } from '@zocalo/test-brokers';

export interface RabbitNode {
  readonly name: string; // rabbit-z1 (cluster.sh's handle), node rabbit-z1@localhost
  readonly node: string;
  readonly amqpPort: number;
  readonly managementPort: number;
}

export const RABBIT_NODES: readonly RabbitNode[] = [1, 2, 3].map((n) => ({
  name: `rabbit-z${n}`,
  node: `rabbit-z${n}@localhost`,
  amqpPort: 5700 + n,
  managementPort: 15700 + n,
}));

/** AMQP transport settings naming all three nodes (one host per port). */
export const RABBIT_CLUSTER_SETTINGS = {
  host: RABBIT_NODES.map(() => '127.0.0.1').join(','),
  port: RABBIT_NODES.map((node) => node.amqpPort).join(','),
  username: 'guest',
  password: 'guest',
} as const;

export const AMQ_PAIR = {
  a: { name: 'activemq-a', stompPort: 61701, jolokiaPort: 8701 },
  b: { name: 'activemq-b', stompPort: 61702, jolokiaPort: 8702 },
} as const;

/** STOMP transport settings naming both brokers of the pair, in order (a first). */
export const AMQ_PAIR_SETTINGS = {
  host: '127.0.0.1,127.0.0.1',
  port: `${AMQ_PAIR.a.stompPort},${AMQ_PAIR.b.stompPort}`,
  username: 'admin',
  password: 'password',
} as const;

/** Runs scripts/cluster.sh with `args`; resolves its stdout, rejects with its stderr. */
export function clusterScript(args: readonly string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [`${repoRoot()}/scripts/cluster.sh`, ...args],
      { timeout: timeoutMs, env: process.env },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`scripts/cluster.sh ${args.join(' ')} failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** The pid of one node (rabbit-z1..3, activemq-a/b) as cluster.sh recorded it. */
export async function nodePid(name: string): Promise<number> {
  const pid = Number((await clusterScript(['pid', name], 10_000)).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`cluster.sh gave no pid for ${name}`);
  return pid;
}

/** kill -9, and waits until the process is gone (its sockets closed by the kernel). */
export async function killNine(name: string): Promise<number> {
  const pid = await nodePid(name);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${name} (pid ${pid}) still runs 2 s after SIGKILL`);
}

const HINT = 'run `bash scripts/cluster.sh start` from the repository first (scripts/test.sh does)';

/** Fails (never skips) unless all three RabbitMQ nodes answer AMQP and management, joined in one cluster. */
export async function requireRabbitCluster(): Promise<void> {
  for (const node of RABBIT_NODES) {
    if (
      !(await portAnswers('127.0.0.1', node.amqpPort)) ||
      !(await portAnswers('127.0.0.1', node.managementPort))
    ) {
      throw new Error(
        `the RabbitMQ cluster node ${node.node} does not answer on ${node.amqpPort}/${node.managementPort}: ${HINT}`,
      );
    }
  }
  // A node killed by the test before (and started again by its afterAll) may still be rejoining: wait
  // until every node runs and none sees a partition, or a quorum queue declared now may lose its
  // majority with the next kill (pause_minority pauses a node that believes itself alone).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const nodes = await management<{ name: string; running: boolean; partitions?: string[] }[]>('/api/nodes');
    const healthy = nodes
      .filter((node) => node.running && (node.partitions ?? []).length === 0)
      .map((node) => node.name);
    const missing = RABBIT_NODES.filter((node) => !healthy.includes(node.node));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the RabbitMQ cluster lacks ${missing.map((node) => node.node).join(', ')} (not running, or partitioned): ${HINT}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Fails unless one broker of the ActiveMQ pair answers STOMP and the other runs as its slave. */
export async function requireActiveMqPair(): Promise<void> {
  const up = [
    await portAnswers('127.0.0.1', AMQ_PAIR.a.stompPort),
    await portAnswers('127.0.0.1', AMQ_PAIR.b.stompPort),
  ];
  if (!up.includes(true))
    throw new Error(`no broker of the ActiveMQ pair answers STOMP on 61701/61702: ${HINT}`);
  for (const name of [AMQ_PAIR.a.name, AMQ_PAIR.b.name]) {
    await nodePid(name).catch(() => {
      throw new Error(`${name} of the ActiveMQ pair is not running: ${HINT}`);
    });
  }
}

/** GET from the management API of the first node that answers (any node reports for the cluster). */
export async function management<T>(path: string): Promise<T> {
  let last: unknown;
  for (const node of RABBIT_NODES) {
    try {
      const response = await fetch(`http://127.0.0.1:${node.managementPort}${path}`, {
        headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
        signal: AbortSignal.timeout(5000),
      });
      if (response.ok) return (await response.json()) as T;
      last = new Error(`${path}: HTTP ${response.status}`);
    } catch (error) {
      last = error;
    }
  }
  throw new Error(`no management API of the cluster answered ${path}: ${String(last)}`);
}

/** Node of each client connection whose name starts with `prefix` (names as the transport sets them). */
export async function connectionNodes(prefix: string): Promise<Map<string, string>> {
  const connections = await management<{ node: string; client_properties?: { connection_name?: string } }[]>(
    '/api/connections?columns=node,client_properties',
  );
  const nodes = new Map<string, string>();
  for (const connection of connections) {
    const name = connection.client_properties?.connection_name;
    if (name?.startsWith(prefix)) nodes.set(name, connection.node);
  }
  return nodes;
}

export interface QuorumQueueInfo {
  readonly leader?: string;
  readonly members?: readonly string[];
  /** The members whose replica is up (RabbitMQ's management API, quorum queues). */
  readonly online?: readonly string[];
  readonly messages?: number;
  readonly type?: string;
}

export function queueInfo(queue: string): Promise<QuorumQueueInfo> {
  return management<QuorumQueueInfo>(`/api/queues/%2F/${encodeURIComponent(queue)}`);
}

/** Short handle (rabbit-z2) of a node name (rabbit-z2@localhost). */
export function handleOf(node: string): string {
  return node.split('@')[0];
}

/**
 * The tests that kill RabbitMQ nodes: skipped in the suite (shown as skipped, with this reason) until
 * the open stall of issue #20 is fixed — in CI a kill sometimes left every client without a delivery
 * for over 60 s although the queue had a new leader within ~150 ms (docs/scaling.md, "Known
 * problem"). `pnpm --filter @zocalo/cluster-proof test:rabbitmq-kills` runs them.
 */
export const rabbitKillTest: jest.It = process.env.ZOCALO_CLUSTER_RABBIT_KILLS === '1' ? test : test.skip;
