/**
 * The objects of RabbitMQ's management HTTP API, as it sends them (snake_case, as in its JSON) — the
 * fields python-zocalo's `RabbitMQAPI` models name, each other field kept by the index signature where
 * the API sends more — and the bodies that declare them.
 */
import type { HashingAlgorithm } from './password';

/** A queue as the management API describes it (the fields used here). */
export interface RabbitQueue {
  readonly name: string;
  /** `classic`, `quorum`, `stream`. */
  readonly type?: string;
  readonly arguments?: Record<string, unknown>;
  /** From the broker's statistics (refreshed every 5 s by default). */
  readonly messages?: number;
  readonly messages_ready?: number;
  readonly messages_unacknowledged?: number;
  readonly consumers?: number;
  /** The policy in effect (lags behind, like the counts). */
  readonly policy?: string;
  readonly state?: string;
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
  readonly policy?: string;
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

/**
 * What declares a queue: the body of `PUT /api/queues/<vhost>/<name>`. Left out, `durable` and
 * `auto_delete` take the broker's defaults (false).
 */
export interface RabbitQueueDeclaration {
  readonly vhost: string;
  readonly name: string;
  readonly durable?: boolean;
  readonly auto_delete?: boolean;
  readonly arguments?: Record<string, unknown>;
}

/**
 * What declares an exchange: the body of `PUT /api/exchanges/<vhost>/<name>`. Left out, `durable`,
 * `auto_delete` and `internal` take the broker's defaults (false: an exchange declared with only its
 * type, as python-zocalo declares those of a file's `exchanges:` list, does not survive a restart).
 */
export interface RabbitExchangeDeclaration {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable?: boolean;
  readonly auto_delete?: boolean;
  readonly internal?: boolean;
  readonly arguments?: Record<string, unknown>;
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
  /** `queues`, `exchanges`, `all` (the broker's default), ... */
  readonly 'apply-to'?: string;
  readonly priority?: number;
  readonly definition: Record<string, unknown>;
  /** Present in every management API listing. */
  readonly vhost?: string;
}

/** A virtual host as the management API describes it. */
export interface RabbitVhost {
  readonly name: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly tracing?: boolean;
  readonly default_queue_type?: string;
  readonly messages?: number;
  readonly cluster_state?: Readonly<Record<string, string>>;
}

/** What creates a vhost or changes its description, tags and tracing: `PUT /api/vhosts/<name>`. */
export interface RabbitVhostDeclaration {
  readonly name: string;
  readonly description?: string;
  /** Sent comma-separated, as the API takes them. */
  readonly tags?: readonly string[];
  readonly tracing?: boolean;
  /** `classic`, `quorum` or `stream`: the type of a queue declared without `x-queue-type` (RabbitMQ 3.10+). */
  readonly default_queue_type?: string;
}

/** A user as the management API describes it (`GET /api/users`). */
export interface RabbitUser {
  readonly name: string;
  /** base64(salt + digest); see `hashPassword`. Empty: the user cannot log in with a password. */
  readonly password_hash: string;
  readonly hashing_algorithm: HashingAlgorithm;
  readonly tags: readonly string[];
  readonly limits?: Readonly<Record<string, number>>;
}

/**
 * What creates or replaces a user: `PUT /api/users/<name>`. Give `password` (the broker hashes it) or
 * `password_hash` (with its `hashing_algorithm`, default sha256), as python-zocalo does; `tags` are
 * `administrator`, `monitoring`, `management`, `policymaker`, `impersonator`, or a site's own.
 */
export interface RabbitUserDeclaration {
  readonly name: string;
  readonly password?: string;
  readonly password_hash?: string;
  readonly hashing_algorithm?: HashingAlgorithm;
  readonly tags: readonly string[];
}

/** A user's permissions in a vhost: regular expressions over the resource names. */
export interface RabbitPermission {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/** A node as the management API describes it (a few of its many fields). */
export interface RabbitNode {
  readonly name: string;
  readonly type?: string;
  readonly running: boolean;
  readonly mem_used?: number;
  readonly mem_limit?: number;
  readonly mem_alarm?: boolean;
  readonly disk_free?: number;
  readonly disk_free_limit?: number;
  readonly disk_free_alarm?: boolean;
  readonly fd_used?: number;
  readonly fd_total?: number;
  readonly sockets_used?: number;
  readonly sockets_total?: number;
  readonly proc_used?: number;
  readonly proc_total?: number;
  readonly uptime?: number;
  readonly run_queue?: number;
  readonly processors?: number;
  readonly enabled_plugins?: readonly string[];
  readonly exchange_types?: readonly ExchangeTypeInfo[];
  readonly [field: string]: unknown;
}

/** A client connection as the management API describes it (a few of its fields). */
export interface RabbitConnection {
  readonly name: string;
  readonly user: string;
  readonly vhost: string;
  readonly state?: string;
  readonly protocol?: string;
  readonly host?: string;
  readonly port?: number;
  readonly peer_host?: string;
  readonly peer_port?: number;
  readonly channels?: number;
  readonly ssl?: boolean;
  readonly auth_mechanism?: string;
  readonly connected_at?: number;
  readonly client_properties?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

/** An exchange type a node offers (`direct`, `x-delayed-message` with its plugin, ...). */
export interface ExchangeTypeInfo {
  readonly name: string;
  readonly description?: string;
  readonly enabled?: boolean;
}

/** `GET /api/overview` (a few of its fields). */
export interface RabbitOverview {
  readonly rabbitmq_version?: string;
  readonly management_version?: string;
  readonly cluster_name?: string;
  readonly node?: string;
  readonly exchange_types?: readonly ExchangeTypeInfo[];
  readonly [field: string]: unknown;
}

/** `GET /api/whoami`. */
export interface RabbitWhoami {
  readonly name: string;
  readonly tags: readonly string[];
}

/** One health check's outcome: the broker answers 200 when it passes, 503 (with a `reason`) when not. */
export interface HealthCheckResult {
  /** The check's path under `/api/`, as python-zocalo keys them: `health/checks/alarms`, ... */
  readonly check: string;
  readonly ok: boolean;
  readonly status: number;
  /** The broker's answer: `{status: 'ok'}` or `{status: 'failed', reason, ...}`. */
  readonly answer: Readonly<Record<string, unknown>>;
}
