/**
 * RabbitMQ side of Schlockmeister, over the management HTTP API (RabbitMQ has no selectors, so nothing
 * here consumes a service queue): make sure every service queue is protected — a delivery limit and a
 * dead-letter exchange routing to `dlq.<queue>` — by creating a policy where one is missing; report
 * classic queues (which keep no delivery count) as unprotected; and count messages in the `dlq.*` queues.
 */
import type { RabbitManagement, RabbitPolicy, RabbitQueue } from '@zocalo/rabbitmq-management';
import { DEFAULT_IGNORE, matchesAny } from './patterns';

/**
 * The policy RabbitMQ applies to a queue: the highest-priority one whose pattern matches its name. Read
 * from the policy list because the queue listing's `policy` field lags behind (statistics timer).
 */
export function effectivePolicy(queue: string, policies: readonly RabbitPolicy[]): RabbitPolicy | undefined {
  let best: RabbitPolicy | undefined;
  for (const policy of policies) {
    if (policy['apply-to'] === 'exchanges') continue;
    let matches: boolean;
    try {
      matches = new RegExp(policy.pattern).test(queue);
    } catch {
      matches = false;
    }
    if (matches && (best === undefined || (policy.priority ?? 0) > (best.priority ?? 0))) best = policy;
  }
  return best;
}

export interface RabbitProtectOptions {
  /** Delivery limit of the policies created. Default 5. */
  readonly limit?: number;
  /** Only queues matching one of these patterns (`*` wildcard). Default: every queue. */
  readonly include?: readonly string[];
  /** Queue patterns to leave alone, in addition to {@link DEFAULT_IGNORE} and `amq.*`. */
  readonly ignore?: readonly string[];
  /** Report only: create nothing. */
  readonly dryRun?: boolean;
}

export type ProtectionStatus =
  /** Delivery limit and dead-letter exchange already in place. */
  | 'protected'
  /** A policy (and the `dlq.<queue>` queue) was created. */
  | 'created'
  /** Dry run: a policy would be created. */
  | 'would-create'
  /** A classic queue keeps no delivery count: it cannot be protected. */
  | 'unprotected-classic'
  /** Unprotected, but another policy applies to it: ours would replace it, so nothing was done. */
  | 'conflict';

export interface ProtectionReport {
  readonly queue: string;
  readonly type: string;
  readonly status: ProtectionStatus;
  readonly policy?: string;
}

/** Name of the policy created for a queue. */
export function policyName(queue: string): string {
  return `zocalo-dlq-${queue}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function setting(
  queue: RabbitQueue,
  policy: RabbitPolicy | undefined,
  argument: string,
  policyKey: string,
): unknown {
  return queue.arguments?.[argument] ?? policy?.definition[policyKey];
}

/** True when the queue (its arguments or the policy applied to it) has a delivery limit and a dead-letter exchange. */
export function isProtected(queue: RabbitQueue, policy: RabbitPolicy | undefined): boolean {
  return (
    setting(queue, policy, 'x-delivery-limit', 'delivery-limit') !== undefined &&
    setting(queue, policy, 'x-dead-letter-exchange', 'dead-letter-exchange') !== undefined
  );
}

/**
 * Makes sure each service queue is protected: a policy `zocalo-dlq-<queue>` with `delivery-limit` and a
 * dead-letter exchange (the default exchange, routing key `dlq.<queue>`), and the durable quorum queue
 * `dlq.<queue>` declared so nothing dead-lettered is dropped.
 */
export async function rabbitProtect(
  management: RabbitManagement,
  options: RabbitProtectOptions = {},
): Promise<ProtectionReport[]> {
  const limit = options.limit ?? 5;
  const ignore = [...DEFAULT_IGNORE, 'amq.*', ...(options.ignore ?? [])];
  const reports: ProtectionReport[] = [];
  const policies = await management.policies();
  for (const queue of await management.queues()) {
    if (matchesAny(queue.name, ignore)) continue;
    if (options.include && !matchesAny(queue.name, options.include)) continue;
    const type = queue.type ?? 'classic';
    const policy = effectivePolicy(queue.name, policies);
    if (isProtected(queue, policy)) {
      reports.push({ queue: queue.name, type, status: 'protected' });
    } else if (type !== 'quorum') {
      reports.push({ queue: queue.name, type, status: 'unprotected-classic' });
    } else if (policy) {
      reports.push({ queue: queue.name, type, status: 'conflict', policy: policy.name });
    } else if (options.dryRun) {
      reports.push({ queue: queue.name, type, status: 'would-create', policy: policyName(queue.name) });
    } else {
      const dlq = `dlq.${queue.name}`;
      await management.request('PUT', management.path('queues', dlq), {
        durable: true,
        auto_delete: false,
        arguments: { 'x-queue-type': 'quorum' },
      });
      await management.request('PUT', management.path('policies', policyName(queue.name)), {
        pattern: `^${escapeRegExp(queue.name)}$`,
        'apply-to': 'queues',
        priority: 0,
        definition: {
          'delivery-limit': limit,
          'dead-letter-exchange': '',
          'dead-letter-routing-key': dlq,
        },
      });
      reports.push({ queue: queue.name, type, status: 'created', policy: policyName(queue.name) });
    }
  }
  return reports;
}

export interface DlqCount {
  readonly queue: string;
  readonly messages: number;
}

/**
 * Message counts of the `dlq.*` queues (or of `dlq.<name>` for each name given). The broker refreshes
 * these counts on its statistics timer (5 s by default), so they lag.
 */
export async function rabbitDlqCheck(
  management: RabbitManagement,
  queues?: readonly string[],
): Promise<DlqCount[]> {
  const wanted = queues?.map((queue) => (queue.startsWith('dlq.') ? queue : `dlq.${queue}`));
  return (await management.queues())
    .filter((queue) => (wanted ? wanted.includes(queue.name) : queue.name.startsWith('dlq.')))
    .map((queue) => ({ queue: queue.name, messages: queue.messages ?? 0 }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
}
