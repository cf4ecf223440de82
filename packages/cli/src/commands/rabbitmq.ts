/**
 * `zocalo rabbitmq configure FILE` (python-zocalo's `zocalo.configure_rabbitmq`, without its users from
 * INI files): declares the policies, queues, exchanges and bindings of a YAML file over the management
 * HTTP API. Python deletes whatever is not in the file and re-creates whatever differs, messages and
 * all; here that takes `--prune` (and `--force` for queues with messages or settings that differ), and
 * without it differences are reported. The planning is in ../rabbitmq-plan.ts.
 */
import type { Command } from 'commander';
import type { RabbitManagement } from '@zocalo/schlockmeister';
import { CliError, EXIT_FAILURE, oneLine } from '../cli-error';
import type { ManagementOptions } from '../dead-letters';
import { addManagementOptions, managementFor } from '../dead-letters';
import type { CliIo } from '../io';
import { desiredState, inVhost, readRabbitmqFile, vhostsOf } from '../rabbitmq-file';
import type { Action, CurrentState, DesiredState, Subject, Verb } from '../rabbitmq-plan';
import { describeAction, planConfiguration } from '../rabbitmq-plan';
import { addSiteOptions, loadSite } from '../site';

interface ConfigureOptions extends ManagementOptions {
  readonly prune?: boolean;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  readonly vhost?: string;
}

/** The broker's state of one vhost, as the planner takes it. */
async function currentState(management: RabbitManagement, vhost: string): Promise<CurrentState> {
  const [policies, queues, exchanges, bindings] = await Promise.all([
    management.policiesIn(vhost),
    management.queuesIn(vhost),
    management.exchangesIn(vhost),
    management.bindingsIn(vhost),
  ]);
  return {
    policies: policies.map((policy) => ({
      vhost,
      name: policy.name,
      pattern: policy.pattern,
      definition: policy.definition,
      priority: policy.priority ?? 0,
      applyTo: policy['apply-to'] ?? 'all',
    })),
    queues: queues.map((queue) => ({
      vhost,
      name: queue.name,
      durable: queue.durable ?? true,
      autoDelete: queue.auto_delete ?? false,
      exclusive: queue.exclusive ?? false,
      type: queue.type ?? 'classic',
      arguments: queue.arguments ?? {},
      messages: queue.messages,
    })),
    exchanges: exchanges.map((exchange) => ({
      vhost,
      name: exchange.name,
      type: exchange.type,
      durable: exchange.durable,
      autoDelete: exchange.auto_delete,
      arguments: exchange.arguments,
    })),
    bindings: bindings.map((binding) => ({
      vhost,
      source: binding.source,
      destination: binding.destination,
      destinationType: binding.destination_type,
      routingKey: binding.routing_key,
      arguments: binding.arguments,
      propertiesKey: binding.properties_key,
    })),
  };
}

function merge(states: readonly CurrentState[]): CurrentState {
  return {
    policies: states.flatMap((state) => state.policies),
    queues: states.flatMap((state) => state.queues),
    exchanges: states.flatMap((state) => state.exchanges),
    bindings: states.flatMap((state) => state.bindings),
  };
}

async function declare(management: RabbitManagement, subject: Subject): Promise<void> {
  switch (subject.kind) {
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
      const { autoDelete, ...exchange } = subject.spec;
      await management.declareExchange({
        ...exchange,
        auto_delete: autoDelete,
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
  const { vhost } = subject.spec;
  switch (subject.kind) {
    case 'policy':
      return management.deletePolicy(vhost, subject.spec.name);
    case 'queue':
      return management.deleteQueue(vhost, subject.spec.name, { ifEmpty });
    case 'exchange':
      return management.deleteExchange(vhost, subject.spec.name);
    case 'binding': {
      const binding = subject.spec;
      if (!('propertiesKey' in binding) || typeof binding.propertiesKey !== 'string') {
        throw new Error('a binding not read from the broker cannot be deleted');
      }
      return management.deleteBinding({
        vhost,
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
    const reason = oneLine(error);
    // The management API's answer is JSON with a `reason`: show that rather than the whole answer.
    const answer = /answered (\d+) (\{.*\})$/.exec(reason);
    if (answer) {
      try {
        const parsed = JSON.parse(answer[2]) as { reason?: unknown };
        if (typeof parsed.reason === 'string') return `${answer[1]} ${parsed.reason}`;
      } catch {
        // Not JSON after all: the whole line says more.
      }
    }
    return reason;
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

async function configure(io: CliIo, file: string, options: ConfigureOptions): Promise<void> {
  if (options.force && !options.prune) {
    throw new CliError('--force only goes with --prune (it lets --prune delete queues with messages)');
  }
  const wanted = desiredState(readRabbitmqFile(file), file);
  const named = vhostsOf(wanted);
  if (named.length === 0) throw new CliError(`${file} declares no policies, queues or exchanges`);
  if (options.vhost !== undefined && !named.includes(options.vhost)) {
    throw new CliError(`${file} declares nothing in vhost ${options.vhost} (it names ${named.join(', ')})`);
  }
  const vhosts = options.vhost === undefined ? named : [options.vhost];
  const desired: DesiredState = options.vhost === undefined ? wanted : inVhost(wanted, options.vhost);

  const site = loadSite(io, 'zocalo.configure_rabbitmq', options);
  const management = managementFor(site, options);
  let current: CurrentState;
  try {
    const existing = await management.vhostNames();
    const missing = vhosts.filter((vhost) => !existing.includes(vhost));
    if (missing.length > 0) {
      throw new CliError(
        `vhost ${missing.join(', ')} of ${file} does not exist on the broker: create it first ` +
          `(rabbitmqctl add_vhost ${missing[0]}) or leave it out with --vhost`,
        EXIT_FAILURE,
      );
    }
    current = merge(await Promise.all(vhosts.map((vhost) => currentState(management, vhost))));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `the RabbitMQ management API did not answer (${oneLine(error)}); give its URL and login with ` +
        '--rabbit-api URL --rabbit-api-user USER --rabbit-api-pass PASSWORD or a rabbitmqapi block',
      EXIT_FAILURE,
      { cause: error },
    );
  }

  const actions = planConfiguration(desired, current, { prune: options.prune, force: options.force });
  const counts = new Map<Verb | 'failed', number>();
  const tally = (key: Verb | 'failed'): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const action of actions) {
    const line = describeAction(action);
    if (options.dryRun || !CHANGES.includes(action.verb)) {
      tally(action.verb);
      if (action.verb !== 'keep' || options.verbose) io.stdout(`${line}\n`);
      continue;
    }
    // Strictly in order: a binding needs its exchange and queue declared first.
    const failure = await perform(management, action);
    if (failure === undefined) {
      tally(action.verb);
      io.stdout(`${line}\n`);
    } else {
      tally('failed');
      io.stdout(`${line}: failed: ${failure}\n`);
    }
  }
  io.stdout(`${summary(counts, options.dryRun === true)}\n`);
  const problem = unresolved(counts);
  if (problem !== undefined) throw new CliError(problem, EXIT_FAILURE);
}

export function registerRabbitmq(program: Command, io: CliIo): void {
  const rabbitmq = program
    .command('rabbitmq')
    .summary('configure a RabbitMQ broker')
    .description('Configure a RabbitMQ broker over its management HTTP API.');
  const configureCommand = rabbitmq
    .command('configure')
    .summary('declare queues, exchanges, bindings and policies from a YAML file')
    .description(
      'Declare the policies, queues (each with its dlq.<name> twin), bindings and broadcast exchanges of ' +
        'FILE (python-zocalo configure_rabbitmq format) in every vhost it names. Policies that differ are ' +
        'updated; queues and exchanges that differ are reported (RabbitMQ cannot change them in place); ' +
        'what is on the broker but not in FILE is reported, or deleted with --prune. Exit code 1 when ' +
        'anything failed or was left unlike FILE, 2 for a bad FILE.',
    )
    .argument('<file>', 'the YAML file')
    .option(
      '--prune',
      'delete policies, queues, exchanges and bindings not in FILE (never amq.*, the default exchange, ' +
        "temporary queues, or the AMQP transport's delay queues and delayed exchange); classic queues " +
        'only when empty, other queues only with --force',
    )
    .option(
      '--force',
      'with --prune: delete queues with messages, and re-create queues and exchanges that differ',
    )
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--vhost <vhost>', 'only this vhost of FILE (default: every vhost FILE names)');
  addManagementOptions(configureCommand);
  addSiteOptions(configureCommand);
  configureCommand.action((file: string, options: ConfigureOptions) => configure(io, file, options));
}
