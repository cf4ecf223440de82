/**
 * The planning half of `zocalo rabbitmq configure`, without a broker: what a RabbitMQ configuration file
 * asks for (policies, queues, exchanges, bindings) compared with what the broker holds, as a list of
 * actions. python-zocalo's `configure_rabbitmq` deletes whatever differs or is not in the file; here
 * deleting is asked for (`prune`), a queue that holds messages is deleted only with `force`, and a queue
 * or exchange whose arguments differ (which RabbitMQ cannot change in place) is re-created only with both.
 */
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
  readonly arguments: Readonly<Record<string, unknown>>;
}

export interface BindingSpec {
  readonly vhost: string;
  /** The exchange. */
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

/** What a configuration file asks for. */
export interface DesiredState {
  readonly policies: readonly PolicySpec[];
  readonly queues: readonly QueueSpec[];
  readonly exchanges: readonly ExchangeSpec[];
  readonly bindings: readonly BindingSpec[];
}

/** What the broker holds, in the vhosts planned for. */
export interface CurrentState {
  readonly policies: readonly PolicySpec[];
  readonly queues: readonly CurrentQueue[];
  readonly exchanges: readonly ExchangeSpec[];
  readonly bindings: readonly CurrentBinding[];
}

export type Subject =
  | { readonly kind: 'policy'; readonly spec: PolicySpec }
  | { readonly kind: 'queue'; readonly spec: QueueSpec }
  | { readonly kind: 'exchange'; readonly spec: ExchangeSpec }
  | { readonly kind: 'binding'; readonly spec: BindingSpec };

/** One setting that is not as the file says. `undefined`: absent on that side. */
export interface Difference {
  readonly key: string;
  readonly broker: unknown;
  readonly file: unknown;
}

export type Action =
  /** Missing on the broker: declare it. */
  | { readonly verb: 'create'; readonly subject: Subject }
  /** A policy whose settings differ: put the file's (a policy can be replaced in place). */
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
    };

export type Verb = Action['verb'];

export interface PlanOptions {
  /** Delete what is on the broker and not in the file. */
  readonly prune?: boolean;
  /** With prune: delete queues that hold messages, and re-create queues and exchanges that differ. */
  readonly force?: boolean;
}

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
    }),
    ...recordDifferences('', broker.arguments, file.arguments),
  ];
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

/**
 * The actions that bring `current` to `desired`, in the order to run them: policies, queues, exchanges,
 * bindings (as python-zocalo), within each kind deletions first. `current` holds only the vhosts planned
 * for: whatever it holds that `desired` lacks is pruned or reported as extra.
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
  for (const exchange of sortedByName(desired.exchanges)) {
    const found = currentExchanges.get(named(exchange.vhost, exchange.name));
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
  const currentBindings = new Set(managed.map(bindingKey));
  const bindingOrder = (a: BindingSpec, b: BindingSpec): number =>
    compare(
      { vhost: a.vhost, name: `${a.source}\u0000${a.destination}` },
      { vhost: b.vhost, name: `${b.source}\u0000${b.destination}` },
    );
  for (const binding of [...managed].sort(bindingOrder)) {
    if (!wantedBindings.has(bindingKey(binding))) actions.push(unwanted({ kind: 'binding', spec: binding }));
  }
  for (const binding of [...desired.bindings].sort(bindingOrder)) {
    const subject: Subject = { kind: 'binding', spec: binding };
    const source = named(binding.vhost, binding.source);
    if (currentBindings.has(bindingKey(binding))) actions.push({ verb: 'keep', subject });
    else if (!wantedExchanges.has(source) && !currentExchanges.has(source)) {
      actions.push({
        verb: 'skip',
        subject,
        doing: 'create',
        reason: `exchange ${binding.source} is neither in the file nor on the broker: declare it (a broadcast group) first`,
      });
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
  return `${difference.key}: ${shownValue(difference.broker)} on the broker, ${shownValue(difference.file)} in the file`;
}

/** `queue / zocalo.x`, `binding / ex -> zocalo.x with routing key zocalo.x`. */
export function describeSubject(subject: Subject): string {
  if (subject.kind !== 'binding') return `${subject.kind} ${subject.spec.vhost} ${subject.spec.name}`;
  const binding = subject.spec;
  const destination =
    binding.destinationType === 'exchange' ? `exchange ${binding.destination}` : binding.destination;
  const argumentsText =
    Object.keys(binding.arguments).length > 0 ? ` and arguments ${JSON.stringify(binding.arguments)}` : '';
  return `binding ${binding.vhost} ${binding.source} -> ${destination} with routing key ${shownValue(binding.routingKey)}${argumentsText}`;
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
    default:
      return `${action.verb} ${subject}`;
  }
}
