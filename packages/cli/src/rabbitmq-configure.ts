/**
 * {@link configureRabbitmq}: python-zocalo's `configure_rabbitmq` as a library function, what
 * `zocalo rabbitmq configure` runs. It reads the YAML file (and the `--user-config` INI files), reads
 * what the broker holds in the vhosts the file names, plans (../rabbitmq-plan.ts) and, unless it is a
 * dry run, carries the plan out action by action over the management API.
 */
import type { RabbitManagement } from '@zocalo/rabbitmq-management';
import { RabbitManagementError, SHA256, hashPassword } from '@zocalo/rabbitmq-management';
import { CliError, EXIT_FAILURE, oneLine } from './cli-error';
import { managementFailure } from './dead-letters';
import { desiredState, inVhost, readRabbitmqFile, vhostsOf } from './rabbitmq-file';
import type {
  Action,
  CurrentState,
  CurrentUser,
  DesiredState,
  PermissionSpec,
  Subject,
  UserSpec,
  Verb,
} from './rabbitmq-plan';
import { describeAction, planConfiguration } from './rabbitmq-plan';
import { readUserConfig } from './rabbitmq-users';

export interface ConfigureRabbitmqOptions {
  /** The management API to configure through (see `managementFor` for a site's). */
  readonly management: RabbitManagement;
  /** The YAML file: python-zocalo's positional `configuration` argument. */
  readonly file: string;
  /**
   * python-zocalo's `--user-config`: a folder of `*.ini` user files (`[rabbitmq]` `username`,
   * `password`, `tags`). Without it the broker's users are left alone.
   */
  readonly userConfig?: string;
  /** Delete what the broker holds in the file's vhosts (and, with `userConfig`, users) that the file lacks. */
  readonly prune?: boolean;
  /** With `prune`: delete queues with messages and vhosts, re-create queues and exchanges that differ. */
  readonly force?: boolean;
  /** Plan and report only. */
  readonly dryRun?: boolean;
  /** Only what the file declares in this vhost (default: every vhost it names). */
  readonly vhost?: string;
  /** Report the `keep` actions too. */
  readonly verbose?: boolean;
  /** Called with each line of the report, newline included (default: nothing is written). */
  readonly output?: (line: string) => void;
}

/** One action of the plan, and what came of it. */
export interface ConfigureOutcome {
  readonly action: Action;
  /** The report's line, without `: failed: ...`. */
  readonly line: string;
  /** Why carrying it out failed (the broker's reason where it gave one); undefined when it did not. */
  readonly failure?: string;
}

export interface ConfigureRabbitmqResult {
  readonly outcomes: readonly ConfigureOutcome[];
  /** How many actions of each verb, and `failed`. */
  readonly counts: Readonly<Partial<Record<Verb | 'failed', number>>>;
  /** The report's last line: `created 2, updated 1, ...`. */
  readonly summary: string;
  /**
   * Why the broker is left unlike the file (differences, skipped or failed actions): the command then
   * exits 1. Undefined when it did all it was asked; what is only extra or not applicable does not count.
   */
  readonly problem?: string;
}

/** The management API user's view of the broker: what the planner compares the file with. */
async function currentState(
  management: RabbitManagement,
  desired: DesiredState,
  vhosts: readonly string[],
  existingVhosts: readonly string[],
): Promise<CurrentState> {
  const readable = vhosts.filter((vhost) => existingVhosts.includes(vhost));
  const managesPermissions = (desired.permissions ?? []).length > 0;
  const perVhost = await Promise.all(
    readable.map(async (vhost) => {
      const [policies, queues, exchanges, bindings, permissions] = await Promise.all([
        management.policiesIn(vhost),
        management.queuesIn(vhost),
        management.exchangesIn(vhost),
        management.bindingsIn(vhost),
        managesPermissions ? management.permissionsIn(vhost) : Promise.resolve([]),
      ]);
      return { vhost, policies, queues, exchanges, bindings, permissions };
    }),
  );
  const [vhostInfos, users, exchangeTypes] = await Promise.all([
    (desired.vhosts ?? []).length > 0 ? management.vhosts() : Promise.resolve(undefined),
    desired.users !== undefined || managesPermissions ? management.users() : Promise.resolve(undefined),
    desired.exchanges.length > 0 ? management.exchangeTypes() : Promise.resolve(undefined),
  ]);
  return {
    self: management.username,
    exchangeTypes,
    vhosts: vhostInfos?.map((vhost) => ({
      name: vhost.name,
      description: vhost.description ?? '',
      tags: vhost.tags ?? [],
      tracing: vhost.tracing ?? false,
    })),
    users: users?.map((user): CurrentUser => ({
      name: user.name,
      passwordHash: user.password_hash,
      hashingAlgorithm: user.hashing_algorithm,
      tags: user.tags,
    })),
    permissions: perVhost.flatMap(({ permissions }) =>
      permissions.map(({ vhost, user, configure, write, read }) => ({ vhost, user, configure, write, read })),
    ),
    policies: perVhost.flatMap(({ vhost, policies }) =>
      policies.map((policy) => ({
        vhost,
        name: policy.name,
        pattern: policy.pattern,
        definition: policy.definition,
        priority: policy.priority ?? 0,
        applyTo: policy['apply-to'] ?? 'all',
      })),
    ),
    queues: perVhost.flatMap(({ vhost, queues }) =>
      queues.map((queue) => ({
        vhost,
        name: queue.name,
        durable: queue.durable ?? true,
        autoDelete: queue.auto_delete ?? false,
        exclusive: queue.exclusive ?? false,
        type: queue.type ?? 'classic',
        arguments: queue.arguments ?? {},
        messages: queue.messages,
      })),
    ),
    exchanges: perVhost.flatMap(({ vhost, exchanges }) =>
      exchanges.map((exchange) => ({
        vhost,
        name: exchange.name,
        type: exchange.type,
        durable: exchange.durable,
        autoDelete: exchange.auto_delete,
        internal: exchange.internal ?? false,
        arguments: exchange.arguments,
      })),
    ),
    bindings: perVhost.flatMap(({ vhost, bindings }) =>
      bindings.map((binding) => ({
        vhost,
        source: binding.source,
        destination: binding.destination,
        destinationType: binding.destination_type,
        routingKey: binding.routing_key,
        arguments: binding.arguments,
        propertiesKey: binding.properties_key,
      })),
    ),
  };
}

async function declare(management: RabbitManagement, subject: Subject): Promise<void> {
  switch (subject.kind) {
    case 'user': {
      const user = subject.spec as UserSpec;
      // As python-zocalo: a user that exists keeps its salt.
      await management.putUser({
        name: user.name,
        password_hash: hashPassword(user.password, user.saltFrom),
        hashing_algorithm: SHA256,
        tags: user.tags,
      });
      return;
    }
    case 'vhost':
      await management.putVhost(subject.spec);
      return;
    case 'permission':
      await management.setPermission(subject.spec);
      return;
    case 'policy': {
      const { applyTo, ...policy } = subject.spec;
      await management.putPolicy({ ...policy, definition: { ...policy.definition }, 'apply-to': applyTo });
      return;
    }
    case 'queue': {
      const { autoDelete, ...queue } = subject.spec;
      await management.declareQueue({ ...queue, auto_delete: autoDelete, arguments: { ...queue.arguments } });
      return;
    }
    case 'exchange': {
      const { autoDelete, internal, ...exchange } = subject.spec;
      await management.declareExchange({
        ...exchange,
        auto_delete: autoDelete,
        internal: internal ?? false,
        arguments: { ...exchange.arguments },
      });
      return;
    }
    case 'binding': {
      const binding = subject.spec;
      await management.declareBinding({
        vhost: binding.vhost,
        source: binding.source,
        destination: binding.destination,
        destination_type: binding.destinationType,
        routing_key: binding.routingKey,
        arguments: { ...binding.arguments },
      });
      return;
    }
  }
}

async function remove(management: RabbitManagement, subject: Subject, ifEmpty: boolean): Promise<void> {
  switch (subject.kind) {
    case 'user':
      return management.deleteUser(subject.spec.name);
    case 'vhost':
      return management.deleteVhost(subject.spec.name);
    case 'permission': {
      const permission: PermissionSpec = subject.spec;
      return management.clearPermission(permission.vhost, permission.user);
    }
    case 'policy':
      return management.deletePolicy(subject.spec.vhost, subject.spec.name);
    case 'queue':
      return management.deleteQueue(subject.spec.vhost, subject.spec.name, { ifEmpty });
    case 'exchange':
      return management.deleteExchange(subject.spec.vhost, subject.spec.name);
    case 'binding': {
      const binding = subject.spec;
      if (!('propertiesKey' in binding) || typeof binding.propertiesKey !== 'string') {
        throw new Error('a binding not read from the broker cannot be deleted');
      }
      return management.deleteBinding({
        vhost: binding.vhost,
        source: binding.source,
        destination: binding.destination,
        destination_type: binding.destinationType,
        routing_key: binding.routingKey,
        arguments: { ...binding.arguments },
        properties_key: binding.propertiesKey,
      });
    }
  }
}

/** Carries out one action; resolves with the reason it failed, if it did. */
async function perform(management: RabbitManagement, action: Action): Promise<string | undefined> {
  try {
    switch (action.verb) {
      case 'create':
      case 'update':
        await declare(management, action.subject);
        break;
      case 'recreate':
        await remove(management, action.subject, false);
        await declare(management, action.subject);
        break;
      case 'delete':
        await remove(management, action.subject, action.ifEmpty);
        break;
      default:
        break;
    }
    return undefined;
  } catch (error) {
    // The management API's answer is JSON with a `reason`: show that rather than the whole answer.
    if (error instanceof RabbitManagementError && error.reason !== undefined) {
      return `${error.status} ${error.reason}`;
    }
    return oneLine(error);
  }
}

const CHANGES: readonly Verb[] = ['create', 'update', 'recreate', 'delete'];

/** `created 2, updated 1, ...`: every count, so scripts and tests can read it whatever happened. */
function summary(counts: ReadonlyMap<Verb | 'failed', number>, dryRun: boolean): string {
  const count = (verb: Verb | 'failed'): number => counts.get(verb) ?? 0;
  const parts: [string, number][] = dryRun
    ? [
        ['to create', count('create')],
        ['to update', count('update')],
        ['to re-create', count('recreate')],
        ['to delete', count('delete')],
      ]
    : [
        ['created', count('create')],
        ['updated', count('update')],
        ['re-created', count('recreate')],
        ['deleted', count('delete')],
      ];
  parts.push(
    ['unchanged', count('keep')],
    ['extra', count('extra')],
    ['differing', count('differs')],
    ['skipped', count('skip')],
  );
  if (!dryRun) parts.push(['failed', count('failed')]);
  // Only where there are some: a broker with every plugin the file needs reads as before.
  if (count('unsupported') > 0) parts.push(['not applicable', count('unsupported')]);
  return `${dryRun ? 'dry run, nothing changed: ' : ''}${parts.map(([label, n]) => `${n} ${label}`).join(', ')}`;
}

/** Why the run exits 1, or undefined when it did all it was asked. */
function unresolved(counts: ReadonlyMap<Verb | 'failed', number>): string | undefined {
  const reasons: string[] = [];
  const differs = counts.get('differs') ?? 0;
  const skipped = counts.get('skip') ?? 0;
  const failed = counts.get('failed') ?? 0;
  if (differs > 0) {
    reasons.push(
      `${differs} queue${differs === 1 ? '' : 's'} or exchange${differs === 1 ? '' : 's'} differ from the file, ` +
        'which RabbitMQ cannot change in place: --prune --force deletes and re-creates them, with any messages',
    );
  }
  if (skipped > 0)
    reasons.push(`${skipped} action${skipped === 1 ? ' was' : 's were'} skipped (see "skip" above)`);
  if (failed > 0) reasons.push(`${failed} action${failed === 1 ? '' : 's'} failed (see "failed" above)`);
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/**
 * Configure RabbitMQ as python-zocalo's `zocalo.configure_rabbitmq FILE [--user-config DIR]` does,
 * with this command's safety: nothing is deleted without `prune`, nothing that holds messages (or a
 * vhost) without `force` too. Bad input (the file, the user files, `force` without `prune`, a vhost the
 * file does not name) is a {@link CliError} with exit code 2; a management API that does not answer,
 * or a vhost that neither exists nor is in the file's `vhosts:`, one with exit code 1. A failed action
 * does not stop the run: it is in the result's `outcomes` and `problem`.
 */
export async function configureRabbitmq(options: ConfigureRabbitmqOptions): Promise<ConfigureRabbitmqResult> {
  const { management, file } = options;
  const write = options.output ?? ((): void => undefined);
  if (options.force && !options.prune) {
    throw new CliError('--force only goes with --prune (it lets --prune delete queues with messages)');
  }
  const fromFile = desiredState(readRabbitmqFile(file), file);
  const wanted: DesiredState =
    options.userConfig === undefined ? fromFile : { ...fromFile, users: readUserConfig(options.userConfig) };
  const named = vhostsOf(wanted);
  if (named.length === 0 && wanted.users === undefined) {
    throw new CliError(`${file} declares no vhosts, permissions, policies, queues or exchanges`);
  }
  if (options.vhost !== undefined && !named.includes(options.vhost)) {
    throw new CliError(`${file} declares nothing in vhost ${options.vhost} (it names ${named.join(', ')})`);
  }
  const vhosts = options.vhost === undefined ? named : [options.vhost];
  const desired = options.vhost === undefined ? wanted : inVhost(wanted, options.vhost);

  let current: CurrentState;
  try {
    const existing = await management.vhostNames();
    const declared = new Set((desired.vhosts ?? []).map((vhost) => vhost.name));
    const missing = vhosts.filter((vhost) => !existing.includes(vhost) && !declared.has(vhost));
    if (missing.length > 0) {
      throw new CliError(
        `vhost ${missing.join(', ')} of ${file} does not exist on the broker: create it first ` +
          `(rabbitmqctl add_vhost ${missing[0]}), list it under vhosts:, or leave it out with --vhost`,
        EXIT_FAILURE,
      );
    }
    current = await currentState(management, desired, vhosts, existing);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw managementFailure(error);
  }

  const actions = planConfiguration(desired, current, { prune: options.prune, force: options.force });
  const counts = new Map<Verb | 'failed', number>();
  const tally = (key: Verb | 'failed'): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  const outcomes: ConfigureOutcome[] = [];
  for (const action of actions) {
    const line = describeAction(action);
    if (options.dryRun || !CHANGES.includes(action.verb)) {
      tally(action.verb);
      outcomes.push({ action, line });
      if (action.verb !== 'keep' || options.verbose) write(`${line}\n`);
      continue;
    }
    // Strictly in order: a binding needs its exchange and queue declared first.
    const failure = await perform(management, action);
    outcomes.push({ action, line, failure });
    if (failure === undefined) {
      tally(action.verb);
      write(`${line}\n`);
    } else {
      tally('failed');
      write(`${line}: failed: ${failure}\n`);
    }
  }
  const last = summary(counts, options.dryRun === true);
  write(`${last}\n`);
  return { outcomes, counts: Object.fromEntries(counts), summary: last, problem: unresolved(counts) };
}
