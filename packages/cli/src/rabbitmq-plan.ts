/**
 * The planning half of `zocalo rabbitmq configure`, without a broker: what a RabbitMQ configuration file
 * asks for (users, vhosts, permissions, policies, queues, exchanges, bindings) compared with what the
 * broker holds, as a list of actions in the order python-zocalo's `configure_rabbitmq` applies them.
 * Python deletes whatever differs or is not in the file; here deleting is asked for (`prune`), a queue
 * that holds messages (or a vhost) is deleted only with `force`, and a queue or exchange whose arguments
 * differ (which RabbitMQ cannot change in place) is re-created only with both. What the broker cannot
 * hold (an exchange type of a plugin it lacks) is reported as not applicable, and the rest goes ahead.
 */
import type { HashingAlgorithm } from '@zocalo/rabbitmq-management';
import { SHA256, passwordMatches } from '@zocalo/rabbitmq-management';
import { descriptor as amqp } from '@zocalo/transport-amqp/descriptor';

/** A policy, as in the file and on the broker. */
export interface PolicySpec {
  readonly vhost: string;
  readonly name: string;
  readonly pattern: string;
  readonly definition: Readonly<Record<string, unknown>>;
  readonly priority: number;
  readonly applyTo: string;
}

export interface QueueSpec {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** A queue on the broker. */
export interface CurrentQueue extends QueueSpec {
  readonly exclusive: boolean;
  /** `classic`, `quorum`, `stream`. */
  readonly type: string;
  /** From the broker's statistics (they lag by up to 5 s); undefined before the first sample. */
  readonly messages?: number;
}

export interface ExchangeSpec {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** Default false. */
  readonly internal?: boolean;
  readonly arguments: Readonly<Record<string, unknown>>;
}

export interface BindingSpec {
  readonly vhost: string;
  /** The exchange; `''` is the default exchange, which binds every queue by its name by itself. */
  readonly source: string;
  readonly destination: string;
  readonly destinationType: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** A binding on the broker: `propertiesKey` names it in the URL that deletes it. */
export interface CurrentBinding extends BindingSpec {
  readonly propertiesKey: string;
}

/** A vhost, as in the file's `vhosts:` and on the broker. */
export interface VhostSpec {
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly tracing: boolean;
}

/** A user's permissions in a vhost. */
export interface PermissionSpec {
  readonly vhost: string;
  readonly user: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/** A user of the `--user-config` INI files. */
export interface UserSpec {
  readonly name: string;
  readonly password: string;
  readonly tags: readonly string[];
  /** The INI file that declares it. */
  readonly file: string;
  /**
   * Set by the plan for a user that exists: its stored hash, whose salt python-zocalo keeps when it
   * writes the user again.
   */
  readonly saltFrom?: string;
}

/** A user on the broker. */
export interface CurrentUser {
  readonly name: string;
  readonly passwordHash: string;
  readonly hashingAlgorithm: HashingAlgorithm;
  readonly tags: readonly string[];
}

/** What a configuration file (and `--user-config`) asks for. */
export interface DesiredState {
  readonly policies: readonly PolicySpec[];
  readonly queues: readonly QueueSpec[];
  readonly exchanges: readonly ExchangeSpec[];
  readonly bindings: readonly BindingSpec[];
  /** The file's `vhosts:`. Empty or absent: vhosts are not managed (none created, none deleted). */
  readonly vhosts?: readonly VhostSpec[];
  /** The file's `permissions:`. Empty or absent: permissions are not managed. */
  readonly permissions?: readonly PermissionSpec[];
  /** The users of `--user-config`; absent: users are not managed. */
  readonly users?: readonly UserSpec[];
}

/** What the broker holds, in the vhosts planned for (users and vhosts: all of them). */
export interface CurrentState {
  readonly policies: readonly PolicySpec[];
  readonly queues: readonly CurrentQueue[];
  readonly exchanges: readonly ExchangeSpec[];
  readonly bindings: readonly CurrentBinding[];
  /** Every vhost of the broker (read when the file manages vhosts). */
  readonly vhosts?: readonly VhostSpec[];
  /** The permissions in the vhosts planned for. */
  readonly permissions?: readonly PermissionSpec[];
  /** Every user of the broker. */
  readonly users?: readonly CurrentUser[];
  /** The exchange types the broker offers; absent: unknown, every type taken as offered. */
  readonly exchangeTypes?: readonly string[];
  /** The user the management API logs in as: never deleted, nor its permissions (it would lock itself out). */
  readonly self?: string;
}

export type Subject =
  | { readonly kind: 'user'; readonly spec: UserSpec | CurrentUser }
  | { readonly kind: 'vhost'; readonly spec: VhostSpec }
  | { readonly kind: 'permission'; readonly spec: PermissionSpec }
  | { readonly kind: 'policy'; readonly spec: PolicySpec }
  | { readonly kind: 'queue'; readonly spec: QueueSpec }
  | { readonly kind: 'exchange'; readonly spec: ExchangeSpec }
  | { readonly kind: 'binding'; readonly spec: BindingSpec };

/** One setting that is not as the file says. `undefined`: absent on that side. */
export interface Difference {
  readonly key: string;
  readonly broker: unknown;
  readonly file: unknown;
  /** Said instead of both values (a password is never shown). */
  readonly note?: string;
}

export type Action =
  /** Missing on the broker: declare it. */
  | { readonly verb: 'create'; readonly subject: Subject }
  /** Settings differ and can be changed in place (a policy, user, vhost's metadata, permission): put the file's. */
  | { readonly verb: 'update'; readonly subject: Subject; readonly differences: readonly Difference[] }
  /** A queue or exchange whose settings differ, with prune and force: delete it, declare it again. */
  | { readonly verb: 'recreate'; readonly subject: Subject; readonly differences: readonly Difference[] }
  /**
   * Not in the file, with prune. `ifEmpty`: the broker is to refuse when the queue holds messages (only
   * classic queues take the flag: the count of the others was checked from the statistics instead).
   */
  | { readonly verb: 'delete'; readonly subject: Subject; readonly ifEmpty: boolean }
  /** As the file says. */
  | { readonly verb: 'keep'; readonly subject: Subject }
  /** Settings differ and RabbitMQ cannot change them in place: left as they are, reported. */
  | { readonly verb: 'differs'; readonly subject: Subject; readonly differences: readonly Difference[] }
  /** On the broker, not in the file, without prune: reported only. */
  | { readonly verb: 'extra'; readonly subject: Subject }
  /** Wanted but not done (a queue with messages, a binding from an exchange that does not exist). */
  | {
      readonly verb: 'skip';
      readonly subject: Subject;
      readonly doing: 'create' | 'delete';
      readonly reason: string;
    }
  /** The broker cannot hold it (an exchange type of a plugin it lacks): left out, the rest goes ahead. */
  | { readonly verb: 'unsupported'; readonly subject: Subject; readonly reason: string };

export type Verb = Action['verb'];

export interface PlanOptions {
  /** Delete what is on the broker and not in the file. */
  readonly prune?: boolean;
  /**
   * With prune: delete queues that hold messages and vhosts, and re-create queues and exchanges that
   * differ.
   */
  readonly force?: boolean;
}

/** The plugins that bring RabbitMQ's optional exchange types, for the message that one is missing. */
const EXCHANGE_TYPE_PLUGINS: Readonly<Record<string, string>> = {
  'x-delayed-message': 'rabbitmq_delayed_message_exchange',
  'x-consistent-hash': 'rabbitmq_consistent_hash_exchange',
  'x-random': 'rabbitmq_random_exchange',
  'x-recent-history': 'rabbitmq_recent_history_exchange',
  'x-jms-topic': 'rabbitmq_jms_topic_exchange',
  'x-modulus-hash': 'rabbitmq_sharding',
};

/** Where the AMQP transport holds delayed messages (they expire by themselves): never ours to prune. */
const HOLDING_QUEUE_PREFIXES = amqp.holding?.queuePrefixes ?? [];
const HOLDING_EXCHANGES = amqp.holding?.exchanges ?? [];

/**
 * Queues never deleted: those python-zocalo skips (server-named and temporary ones, and `amq.*`), and
 * the AMQP transport's delay holding queues, which hold messages not yet due.
 */
export function isSkippedQueue(queue: CurrentQueue): boolean {
  return (
    queue.name === '' ||
    queue.name.includes('amq.') ||
    HOLDING_QUEUE_PREFIXES.some((prefix) => queue.name.startsWith(prefix)) ||
    queue.autoDelete ||
    queue.exclusive
  );
}

/**
 * Exchanges never deleted: those python-zocalo skips (the default exchange and `amq.*`), and the
 * delayed-message plugin's exchange, which holds every message not yet due.
 */
export function isSkippedExchange(name: string): boolean {
  return name === '' || name.includes('amq.') || HOLDING_EXCHANGES.includes(name);
}

/** JSON with sorted keys: equal for equal values whatever the order of their keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** The differing keys of two records, each prefixed. */
function recordDifferences(
  prefix: string,
  broker: Readonly<Record<string, unknown>>,
  file: Readonly<Record<string, unknown>>,
): Difference[] {
  const keys = [...new Set([...Object.keys(broker), ...Object.keys(file)])].sort();
  return keys
    .filter((key) => !same(broker[key], file[key]))
    .map((key) => ({ key: `${prefix}${key}`, broker: broker[key], file: file[key] }));
}

function fieldDifferences(fields: Readonly<Record<string, readonly [unknown, unknown]>>): Difference[] {
  return Object.entries(fields)
    .filter(([, [broker, file]]) => !same(broker, file))
    .map(([key, [broker, file]]) => ({ key, broker, file }));
}

export function policyDifferences(broker: PolicySpec, file: PolicySpec): Difference[] {
  return [
    ...fieldDifferences({
      pattern: [broker.pattern, file.pattern],
      priority: [broker.priority, file.priority],
      'apply-to': [broker.applyTo, file.applyTo],
    }),
    ...recordDifferences('definition.', broker.definition, file.definition),
  ];
}

export function queueDifferences(broker: CurrentQueue, file: QueueSpec): Difference[] {
  return [
    ...fieldDifferences({
      durable: [broker.durable, file.durable],
      auto_delete: [broker.autoDelete, file.autoDelete],
      exclusive: [broker.exclusive, false],
    }),
    ...recordDifferences('', broker.arguments, file.arguments),
  ];
}

export function exchangeDifferences(broker: ExchangeSpec, file: ExchangeSpec): Difference[] {
  return [
    ...fieldDifferences({
      type: [broker.type, file.type],
      durable: [broker.durable, file.durable],
      auto_delete: [broker.autoDelete, file.autoDelete],
      internal: [broker.internal ?? false, file.internal ?? false],
    }),
    ...recordDifferences('', broker.arguments, file.arguments),
  ];
}

export function vhostDifferences(broker: VhostSpec, file: VhostSpec): Difference[] {
  return fieldDifferences({
    description: [broker.description, file.description],
    tags: [[...broker.tags].sort(), [...file.tags].sort()],
    tracing: [broker.tracing, file.tracing],
  });
}

export function permissionDifferences(broker: PermissionSpec, file: PermissionSpec): Difference[] {
  return fieldDifferences({
    configure: [broker.configure, file.configure],
    write: [broker.write, file.write],
    read: [broker.read, file.read],
  });
}

/**
 * What differs between a user on the broker and in the INI files, as python-zocalo decides it: the
 * password, by hashing the file's with the stored salt (sha256, python-zocalo's only algorithm: a user
 * stored otherwise is written again), and the tags as a set.
 */
export function userDifferences(broker: CurrentUser, file: UserSpec): Difference[] {
  const differences: Difference[] = [];
  if (broker.hashingAlgorithm !== SHA256) {
    differences.push({ key: 'hashing_algorithm', broker: broker.hashingAlgorithm, file: SHA256 });
  } else if (!passwordMatches(file.password, broker.passwordHash)) {
    differences.push({
      key: 'password',
      broker: undefined,
      file: undefined,
      note: `not the one of ${file.file}`,
    });
  }
  differences.push(...fieldDifferences({ tags: [[...broker.tags].sort(), [...file.tags].sort()] }));
  return differences;
}

function named(vhost: string, name: string): string {
  return `${vhost}\u0000${name}`;
}

function bindingKey(binding: BindingSpec): string {
  return canonical([
    binding.vhost,
    binding.source,
    binding.destination,
    binding.destinationType,
    binding.routingKey,
    binding.arguments,
  ]);
}

function byName<T extends { readonly vhost: string; readonly name: string }>(
  items: readonly T[],
): Map<string, T> {
  return new Map(items.map((item) => [named(item.vhost, item.name), item]));
}

function compare(a: { vhost: string; name: string }, b: { vhost: string; name: string }): number {
  return a.vhost === b.vhost ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.vhost < b.vhost ? -1 : 1;
}

function sortedByName<T extends { readonly vhost: string; readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort(compare);
}

function whyNotEmpty(queue: CurrentQueue): string | undefined {
  if (queue.messages === undefined) {
    return 'its message count is not known yet (the broker samples it every few seconds): run again, or --force deletes it whatever it holds';
  }
  if (queue.messages > 0) {
    return `${queue.messages} message${queue.messages === 1 ? '' : 's'}; --force deletes it with them`;
  }
  return undefined;
}

/** Why the broker cannot hold an exchange of this type, or undefined when it can. */
function missingExchangeType(type: string, offered: readonly string[] | undefined): string | undefined {
  if (offered === undefined || offered.includes(type)) return undefined;
  const plugin = EXCHANGE_TYPE_PLUGINS[type];
  return (
    `this broker offers no exchange type ${type}` +
    (plugin ? ` (it needs the ${plugin} plugin)` : '') +
    `; it offers ${[...offered].sort().join(', ')}`
  );
}

/** Sorted by name (users and vhosts, which have no vhost to sort by first). */
function sortedByOwnName<T extends { readonly name: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const SELF_REASON = 'the management API logs in as this user: change it by hand';

/** The users of the INI files against the broker's: created, updated in place, pruned. */
function planUsers(
  desired: readonly UserSpec[],
  current: CurrentState,
  prune: boolean,
  actions: Action[],
): void {
  const wanted = new Map(desired.map((user) => [user.name, user]));
  const existing = new Map((current.users ?? []).map((user) => [user.name, user]));
  for (const user of sortedByOwnName(existing.values())) {
    if (wanted.has(user.name)) continue;
    const subject: Subject = { kind: 'user', spec: user };
    if (!prune) actions.push({ verb: 'extra', subject });
    else if (user.name === current.self)
      actions.push({ verb: 'skip', subject, doing: 'delete', reason: SELF_REASON });
    else actions.push({ verb: 'delete', subject, ifEmpty: false });
  }
  for (const user of sortedByOwnName(wanted.values())) {
    const found = existing.get(user.name);
    if (!found) {
      actions.push({ verb: 'create', subject: { kind: 'user', spec: user } });
      continue;
    }
    const differences = userDifferences(found, user);
    const subject: Subject = {
      kind: 'user',
      spec: found.hashingAlgorithm === SHA256 ? { ...user, saltFrom: found.passwordHash } : user,
    };
    actions.push(
      differences.length > 0 ? { verb: 'update', subject, differences } : { verb: 'keep', subject },
    );
  }
}

/** The file's vhosts against the broker's (`/` is never deleted): created, updated in place, pruned with force. */
function planVhosts(
  desired: readonly VhostSpec[],
  current: CurrentState,
  prune: boolean,
  force: boolean,
  actions: Action[],
): void {
  const wanted = new Map(desired.map((vhost) => [vhost.name, vhost]));
  const existing = new Map((current.vhosts ?? []).map((vhost) => [vhost.name, vhost]));
  for (const vhost of sortedByOwnName(existing.values())) {
    if (wanted.has(vhost.name) || vhost.name === '/') continue;
    const subject: Subject = { kind: 'vhost', spec: vhost };
    if (!prune) actions.push({ verb: 'extra', subject });
    else if (!force) {
      actions.push({
        verb: 'skip',
        subject,
        doing: 'delete',
        reason: 'deleting a vhost deletes its queues and their messages: --force deletes it with them',
      });
    } else actions.push({ verb: 'delete', subject, ifEmpty: false });
  }
  for (const vhost of sortedByOwnName(wanted.values())) {
    const subject: Subject = { kind: 'vhost', spec: vhost };
    const found = existing.get(vhost.name);
    const differences = found ? vhostDifferences(found, vhost) : [];
    if (!found) actions.push({ verb: 'create', subject });
    else if (differences.length > 0) actions.push({ verb: 'update', subject, differences });
    else actions.push({ verb: 'keep', subject });
  }
}

/** The file's permissions against the broker's in the vhosts planned for. */
function planPermissions(
  desired: readonly PermissionSpec[],
  current: CurrentState,
  users: ReadonlySet<string> | undefined,
  prune: boolean,
  actions: Action[],
): void {
  const key = (permission: PermissionSpec): string => named(permission.vhost, permission.user);
  const order = (a: PermissionSpec, b: PermissionSpec): number =>
    compare({ vhost: a.vhost, name: a.user }, { vhost: b.vhost, name: b.user });
  const wanted = new Map(desired.map((permission) => [key(permission), permission]));
  const existing = new Map((current.permissions ?? []).map((permission) => [key(permission), permission]));
  for (const permission of [...existing.values()].sort(order)) {
    if (wanted.has(key(permission))) continue;
    const subject: Subject = { kind: 'permission', spec: permission };
    if (!prune) actions.push({ verb: 'extra', subject });
    else if (permission.user === current.self) {
      actions.push({ verb: 'skip', subject, doing: 'delete', reason: SELF_REASON });
    } else actions.push({ verb: 'delete', subject, ifEmpty: false });
  }
  for (const permission of [...wanted.values()].sort(order)) {
    const subject: Subject = { kind: 'permission', spec: permission };
    const found = existing.get(key(permission));
    const differences = found ? permissionDifferences(found, permission) : [];
    if (!found && users !== undefined && !users.has(permission.user)) {
      actions.push({
        verb: 'skip',
        subject,
        doing: 'create',
        reason: `user ${permission.user} is neither on the broker nor in --user-config`,
      });
    } else if (!found) actions.push({ verb: 'create', subject });
    else if (differences.length > 0) actions.push({ verb: 'update', subject, differences });
    else actions.push({ verb: 'keep', subject });
  }
}

/**
 * The actions that bring `current` to `desired`, in the order to run them, python-zocalo's: users,
 * vhosts, permissions, policies, queues, exchanges, bindings; within each kind deletions first.
 * `current` holds only the vhosts planned for: whatever it holds that `desired` lacks is pruned or
 * reported as extra (users and vhosts only when the file manages them).
 */
export function planConfiguration(
  desired: DesiredState,
  current: CurrentState,
  options: PlanOptions = {},
): Action[] {
  const prune = options.prune === true;
  const force = prune && options.force === true;
  const actions: Action[] = [];
  const unwanted = (subject: Subject): Action =>
    prune ? { verb: 'delete', subject, ifEmpty: false } : { verb: 'extra', subject };

  if (desired.users !== undefined) planUsers(desired.users, current, prune, actions);
  if ((desired.vhosts ?? []).length > 0) planVhosts(desired.vhosts ?? [], current, prune, force, actions);
  if ((desired.permissions ?? []).length > 0) {
    const users =
      current.users === undefined
        ? undefined
        : new Set([
            ...current.users.map((user) => user.name),
            ...(desired.users ?? []).map((user) => user.name),
          ]);
    planPermissions(desired.permissions ?? [], current, users, prune, actions);
  }

  // Policies: replaced in place when they differ.
  const wantedPolicies = byName(desired.policies);
  for (const policy of sortedByName(current.policies)) {
    if (!wantedPolicies.has(named(policy.vhost, policy.name)))
      actions.push(unwanted({ kind: 'policy', spec: policy }));
  }
  const currentPolicies = byName(current.policies);
  for (const policy of sortedByName(desired.policies)) {
    const subject: Subject = { kind: 'policy', spec: policy };
    const found = currentPolicies.get(named(policy.vhost, policy.name));
    const differences = found ? policyDifferences(found, policy) : [];
    if (!found) actions.push({ verb: 'create', subject });
    else if (differences.length > 0) actions.push({ verb: 'update', subject, differences });
    else actions.push({ verb: 'keep', subject });
  }

  // Queues and exchanges that vanish (deleted or re-created) take their bindings with them.
  const goneQueues = new Set<string>();
  const goneExchanges = new Set<string>();
  /** A queue or exchange of the file: created, kept, or (differing) re-created with force, else reported. */
  const declared = (
    subject: Extract<Subject, { kind: 'queue' | 'exchange' }>,
    found: boolean,
    differences: Difference[],
    gone: Set<string>,
  ): Action => {
    if (!found) return { verb: 'create', subject };
    if (differences.length === 0) return { verb: 'keep', subject };
    if (!force) return { verb: 'differs', subject, differences };
    gone.add(named(subject.spec.vhost, subject.spec.name));
    return { verb: 'recreate', subject, differences };
  };

  const wantedQueues = byName(desired.queues);
  for (const queue of sortedByName(current.queues)) {
    if (wantedQueues.has(named(queue.vhost, queue.name)) || isSkippedQueue(queue)) continue;
    const subject: Subject = { kind: 'queue', spec: queue };
    if (!prune) {
      actions.push({ verb: 'extra', subject });
      continue;
    }
    // RabbitMQ 3.10 takes if-empty for classic queues only, and the statistics of the others may be
    // seconds old: so only --force deletes a queue that is not classic.
    const classic = queue.type === 'classic';
    const reason = force
      ? undefined
      : classic
        ? queue.messages
          ? whyNotEmpty(queue)
          : undefined
        : `a ${queue.type} queue, which RabbitMQ cannot delete only if it is empty (its count may be seconds old): --force deletes it whatever it holds`;
    if (reason !== undefined) {
      actions.push({ verb: 'skip', subject, doing: 'delete', reason });
    } else {
      goneQueues.add(named(queue.vhost, queue.name));
      actions.push({ verb: 'delete', subject, ifEmpty: classic && !force });
    }
  }
  const currentQueues = byName(current.queues);
  for (const queue of sortedByName(desired.queues)) {
    const found = currentQueues.get(named(queue.vhost, queue.name));
    const differences = found ? queueDifferences(found, queue) : [];
    actions.push(declared({ kind: 'queue', spec: queue }, found !== undefined, differences, goneQueues));
  }

  // An exchange a binding of the file comes from is the file's too, declared there or not.
  const wantedExchanges = byName(desired.exchanges);
  const boundFrom = new Set(desired.bindings.map((binding) => named(binding.vhost, binding.source)));
  for (const exchange of sortedByName(current.exchanges)) {
    const key = named(exchange.vhost, exchange.name);
    if (wantedExchanges.has(key) || boundFrom.has(key) || isSkippedExchange(exchange.name)) continue;
    if (prune) goneExchanges.add(key);
    actions.push(unwanted({ kind: 'exchange', spec: exchange }));
  }
  const currentExchanges = byName(current.exchanges);
  /** Exchanges of the file the broker cannot hold, with why. */
  const unsupported = new Map<string, string>();
  for (const exchange of sortedByName(desired.exchanges)) {
    const key = named(exchange.vhost, exchange.name);
    const found = currentExchanges.get(key);
    const missing = found ? undefined : missingExchangeType(exchange.type, current.exchangeTypes);
    if (missing !== undefined) {
      unsupported.set(key, missing);
      actions.push({ verb: 'unsupported', subject: { kind: 'exchange', spec: exchange }, reason: missing });
      continue;
    }
    const differences = found ? exchangeDifferences(found, exchange) : [];
    actions.push(
      declared({ kind: 'exchange', spec: exchange }, found !== undefined, differences, goneExchanges),
    );
  }

  // Bindings: those of the default exchange and amq.* are the broker's, those to temporary queues the
  // consumers'; those to or from what vanishes above vanish with it.
  const queueFound = (vhost: string, name: string): CurrentQueue | undefined =>
    currentQueues.get(named(vhost, name));
  const vanishes = (binding: BindingSpec): boolean =>
    goneExchanges.has(named(binding.vhost, binding.source)) ||
    (binding.destinationType === 'queue' ? goneQueues : goneExchanges).has(
      named(binding.vhost, binding.destination),
    );
  const managed = current.bindings.filter((binding) => {
    if (isSkippedExchange(binding.source) || vanishes(binding)) return false;
    if (binding.destinationType === 'exchange') return !isSkippedExchange(binding.destination);
    const queue = queueFound(binding.vhost, binding.destination);
    return queue !== undefined && !isSkippedQueue(queue);
  });
  const wantedBindings = new Set(desired.bindings.map(bindingKey));
  // Kept: any binding the broker has (a binding from a holding exchange is never pruned, but is kept).
  const currentBindings = new Set(current.bindings.filter((binding) => !vanishes(binding)).map(bindingKey));
  const bindingOrder = (a: BindingSpec, b: BindingSpec): number =>
    compare(
      { vhost: a.vhost, name: `${a.source}\u0000${a.destination}` },
      { vhost: b.vhost, name: `${b.source}\u0000${b.destination}` },
    );
  for (const binding of [...managed].sort(bindingOrder)) {
    if (!wantedBindings.has(bindingKey(binding))) actions.push(unwanted({ kind: 'binding', spec: binding }));
  }
  const exists = (vhost: string, name: string, type: 'queue' | 'exchange'): boolean =>
    type === 'queue'
      ? wantedQueues.has(named(vhost, name)) || currentQueues.has(named(vhost, name))
      : wantedExchanges.has(named(vhost, name)) || currentExchanges.has(named(vhost, name));
  const seen = new Set<string>();
  for (const binding of [...desired.bindings].sort(bindingOrder)) {
    if (seen.has(bindingKey(binding))) continue;
    seen.add(bindingKey(binding));
    const subject: Subject = { kind: 'binding', spec: binding };
    const source = named(binding.vhost, binding.source);
    const destination = named(binding.vhost, binding.destination);
    const skip = (reason: string): void =>
      void actions.push({ verb: 'skip', subject, doing: 'create', reason });
    if (unsupported.has(source) || (binding.destinationType === 'exchange' && unsupported.has(destination))) {
      const which = unsupported.has(source) ? binding.source : binding.destination;
      actions.push({ verb: 'unsupported', subject, reason: `exchange ${which} is not applicable, above` });
    } else if (binding.source === '') {
      // The default exchange binds every queue by its name, by itself, and takes no other binding.
      if (binding.destinationType !== 'queue' || binding.routingKey !== binding.destination) {
        skip(
          'the default exchange routes to each queue by its name only; RabbitMQ refuses other bindings to it',
        );
      } else if (!exists(binding.vhost, binding.destination, 'queue')) {
        skip(`queue ${binding.destination} is neither in the file nor on the broker`);
      } else actions.push({ verb: 'keep', subject });
    } else if (currentBindings.has(bindingKey(binding))) actions.push({ verb: 'keep', subject });
    else if (!exists(binding.vhost, binding.source, 'exchange')) {
      skip(
        `exchange ${binding.source} is neither in the file nor on the broker: declare it (under exchanges: or as a broadcast group) first`,
      );
    } else if (!exists(binding.vhost, binding.destination, binding.destinationType)) {
      skip(`${binding.destinationType} ${binding.destination} is neither in the file nor on the broker`);
    } else actions.push({ verb: 'create', subject });
  }
  return actions;
}

function shownValue(value: unknown): string {
  if (value === undefined) return 'absent';
  if (typeof value === 'string' && /^[\w./:@-]+$/.test(value)) return value;
  return JSON.stringify(value);
}

/** `x-queue-type: classic on the broker, quorum in the file`. */
export function describeDifference(difference: Difference): string {
  if (difference.note !== undefined) return `${difference.key}: ${difference.note}`;
  return `${difference.key}: ${shownValue(difference.broker)} on the broker, ${shownValue(difference.file)} in the file`;
}

/** `queue / zocalo.x`, `binding / ex -> zocalo.x with routing key zocalo.x`, `user custom`. */
export function describeSubject(subject: Subject): string {
  switch (subject.kind) {
    case 'user':
      return `user ${subject.spec.name}`;
    case 'vhost':
      return `vhost ${subject.spec.name}`;
    case 'permission':
      return `permission ${subject.spec.vhost} ${subject.spec.user}`;
    case 'binding': {
      const binding = subject.spec;
      const destination =
        binding.destinationType === 'exchange' ? `exchange ${binding.destination}` : binding.destination;
      const argumentsText =
        Object.keys(binding.arguments).length > 0
          ? ` and arguments ${JSON.stringify(binding.arguments)}`
          : '';
      const source = binding.source === '' ? '(default exchange)' : binding.source;
      return `binding ${binding.vhost} ${source} -> ${destination} with routing key ${shownValue(binding.routingKey)}${argumentsText}`;
    }
    default:
      return `${subject.kind} ${subject.spec.vhost} ${subject.spec.name}`;
  }
}

/** One line of the command's output for an action. */
export function describeAction(action: Action): string {
  const subject = describeSubject(action.subject);
  switch (action.verb) {
    case 'update':
    case 'recreate':
    case 'differs':
      return `${action.verb} ${subject} (${action.differences.map(describeDifference).join('; ')})`;
    case 'extra':
      return `extra ${subject} (not in the file; --prune deletes it)`;
    case 'skip':
      return `skip ${action.doing} ${subject} (${action.reason})`;
    case 'unsupported':
      return `not applicable ${subject} (${action.reason})`;
    default:
      return `${action.verb} ${subject}`;
  }
}
