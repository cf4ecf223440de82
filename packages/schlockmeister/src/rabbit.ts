/**
 * RabbitMQ side of Schlockmeister, over the management HTTP API (RabbitMQ has no selectors, so nothing
 * here consumes a service queue): make sure every service queue is protected — a delivery limit and a
 * dead-letter exchange routing to `dlq.<queue>` — by creating a policy where one is missing; report
 * classic queues (which keep no delivery count) as unprotected; and count messages in the `dlq.*` queues.
 */
import { DEFAULT_IGNORE, matchesAny } from './patterns';
import { BrokerError, splitUrlCredentials } from '@zocalo/workflows';

export interface RabbitManagementOptions {
  /** Default `http://127.0.0.1:15672`; user info in it is taken out and used as the credentials. */
  readonly url?: string;
  /** Default: the URL's user, else `guest`. */
  readonly username?: string;
  /** Default: the URL's password, else `guest`. */
  readonly password?: string;
  /** Default `/`. */
  readonly vhost?: string;
}

/** A queue as the management API describes it (the fields used here). */
export interface RabbitQueue {
  readonly name: string;
  readonly type?: string;
  readonly arguments?: Record<string, unknown>;
  readonly messages?: number;
  /** Present in every management API listing; optional here only for callers that build queues by hand. */
  readonly vhost?: string;
  readonly durable?: boolean;
  readonly auto_delete?: boolean;
  readonly exclusive?: boolean;
}

/** An exchange as the management API describes it (the fields used here). */
export interface RabbitExchange {
  readonly name: string;
  readonly vhost: string;
  readonly type: string;
  readonly durable: boolean;
  readonly auto_delete: boolean;
  readonly internal?: boolean;
  readonly arguments: Record<string, unknown>;
}

/** A binding as the management API describes it. */
export interface RabbitBinding {
  readonly source: string;
  readonly vhost: string;
  readonly destination: string;
  readonly destination_type: 'queue' | 'exchange';
  readonly routing_key: string;
  readonly arguments: Record<string, unknown>;
  /** Names the binding in the URL that deletes it (routing key and arguments hashed). */
  readonly properties_key: string;
}

/** What declares a queue: the body of `PUT /api/queues/<vhost>/<name>`. */
export interface RabbitQueueDeclaration {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly auto_delete: boolean;
  readonly arguments: Record<string, unknown>;
}

/** What declares an exchange: the body of `PUT /api/exchanges/<vhost>/<name>`. */
export interface RabbitExchangeDeclaration {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly auto_delete: boolean;
  readonly arguments: Record<string, unknown>;
}

/** What binds a queue or exchange to an exchange. */
export interface RabbitBindingDeclaration {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destination_type: 'queue' | 'exchange';
  readonly routing_key: string;
  readonly arguments: Record<string, unknown>;
}

/** A policy as the management API describes it. */
export interface RabbitPolicy {
  readonly name: string;
  readonly pattern: string;
  readonly 'apply-to'?: string;
  readonly priority?: number;
  readonly definition: Record<string, unknown>;
}

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

/** A small client for the endpoints used here. */
export class RabbitManagement {
  readonly vhost: string;
  private readonly url: string;
  private readonly authorization: string;

  constructor(options: RabbitManagementOptions = {}) {
    // Credentials in the URL (`http://guest:secret@host:15672`) are sent as the Authorization header
    // (fetch refuses such a URL and quotes it back, password and all); the options win over them.
    const fromUrl = splitUrlCredentials(options.url ?? 'http://127.0.0.1:15672');
    this.url = fromUrl.url.replace(/\/$/, '');
    this.vhost = options.vhost ?? '/';
    const user = options.username ?? fromUrl.username ?? 'guest';
    const pass = options.password ?? fromUrl.password ?? 'guest';
    this.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }

  /** Sends a request; resolves with the parsed JSON answer (undefined for an empty one). */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: this.authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new BrokerError(`RabbitMQ management API: ${method} ${path} answered ${response.status} ${text}`);
    }
    return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
  }

  /** `/api/<kind>/<vhost>[/<name>]`, URL-encoded. */
  path(kind: string, name?: string): string {
    const base = `/api/${kind}/${encodeURIComponent(this.vhost)}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  /** The policies of the vhost. */
  async policies(): Promise<RabbitPolicy[]> {
    const answer = await this.request('GET', this.path('policies'));
    return Array.isArray(answer) ? (answer as RabbitPolicy[]) : [];
  }

  async queues(): Promise<RabbitQueue[]> {
    const answer = await this.request('GET', this.path('queues'));
    return Array.isArray(answer) ? (answer as RabbitQueue[]) : [];
  }

  // Vhost-aware calls, for tools that manage several vhosts (`zocalo rabbitmq configure`): each names
  // its vhost rather than using the one this client was made for.

  /** `/api/<kind>/<vhost>[/<name>...]`, every part URL-encoded. */
  pathIn(kind: string, vhost: string, ...names: readonly string[]): string {
    return [`/api/${kind}`, vhost, ...names]
      .map((part, index) => (index === 0 ? part : encodeURIComponent(part)))
      .join('/');
  }

  /** The names of the broker's vhosts. */
  async vhostNames(): Promise<string[]> {
    const answer = await this.request('GET', '/api/vhosts');
    return Array.isArray(answer) ? (answer as { name: string }[]).map((vhost) => vhost.name) : [];
  }

  async queuesIn(vhost: string): Promise<RabbitQueue[]> {
    const answer = await this.request('GET', this.pathIn('queues', vhost));
    return Array.isArray(answer) ? (answer as RabbitQueue[]) : [];
  }

  async policiesIn(vhost: string): Promise<(RabbitPolicy & { readonly vhost: string })[]> {
    const answer = await this.request('GET', this.pathIn('policies', vhost));
    return Array.isArray(answer) ? (answer as (RabbitPolicy & { readonly vhost: string })[]) : [];
  }

  async exchangesIn(vhost: string): Promise<RabbitExchange[]> {
    const answer = await this.request('GET', this.pathIn('exchanges', vhost));
    return Array.isArray(answer) ? (answer as RabbitExchange[]) : [];
  }

  async bindingsIn(vhost: string): Promise<RabbitBinding[]> {
    const answer = await this.request('GET', this.pathIn('bindings', vhost));
    return Array.isArray(answer) ? (answer as RabbitBinding[]) : [];
  }

  /** Declares a queue; the broker refuses (400) one that exists with other arguments. */
  async declareQueue(queue: RabbitQueueDeclaration): Promise<void> {
    const { vhost, name, ...body } = queue;
    await this.request('PUT', this.pathIn('queues', vhost, name), body);
  }

  /**
   * Deletes a queue. `ifEmpty` makes the broker refuse (400) when it holds messages; RabbitMQ 3.10
   * refuses the flag itself on quorum queues, so callers check their count instead.
   */
  async deleteQueue(
    vhost: string,
    name: string,
    options: { readonly ifEmpty?: boolean } = {},
  ): Promise<void> {
    const query = options.ifEmpty ? '?if-empty=true' : '';
    await this.request('DELETE', `${this.pathIn('queues', vhost, name)}${query}`);
  }

  /** Declares an exchange; the broker refuses (400) one that exists with another type or arguments. */
  async declareExchange(exchange: RabbitExchangeDeclaration): Promise<void> {
    const { vhost, name, ...body } = exchange;
    await this.request('PUT', this.pathIn('exchanges', vhost, name), body);
  }

  /** Deletes an exchange and every binding from or to it. */
  async deleteExchange(vhost: string, name: string): Promise<void> {
    await this.request('DELETE', this.pathIn('exchanges', vhost, name));
  }

  /** Binds; binding what is already bound changes nothing. */
  async declareBinding(binding: RabbitBindingDeclaration): Promise<void> {
    const kind = binding.destination_type === 'queue' ? 'q' : 'e';
    await this.request(
      'POST',
      this.pathIn('bindings', binding.vhost, 'e', binding.source, kind, binding.destination),
      { routing_key: binding.routing_key, arguments: binding.arguments },
    );
  }

  async deleteBinding(binding: RabbitBinding): Promise<void> {
    const kind = binding.destination_type === 'queue' ? 'q' : 'e';
    await this.request(
      'DELETE',
      this.pathIn(
        'bindings',
        binding.vhost,
        'e',
        binding.source,
        kind,
        binding.destination,
        binding.properties_key,
      ),
    );
  }

  /** Creates or replaces a policy (idempotent). */
  async putPolicy(policy: RabbitPolicy & { readonly vhost: string }): Promise<void> {
    const { vhost, name, ...body } = policy;
    await this.request('PUT', this.pathIn('policies', vhost, name), body);
  }

  async deletePolicy(vhost: string, name: string): Promise<void> {
    await this.request('DELETE', this.pathIn('policies', vhost, name));
  }
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
