/**
 * `zocalo rabbitmq configure` without a broker: the file format (python-zocalo's defaults, errors naming
 * file, line and key) and the plan (create what is missing, update policies, report or — with --prune
 * and --force — delete and re-create what differs, never touch amq.*, the default exchange or temporary
 * queues).
 */
import { CliError, EXIT_USAGE } from '../src/cli-error';
import { desiredState, inVhost, parseRabbitmqFile, vhostsOf } from '../src/rabbitmq-file';
import type { Action, CurrentQueue, CurrentState, DesiredState } from '../src/rabbitmq-plan';
import { describeAction, planConfiguration } from '../src/rabbitmq-plan';

const FILE = `
policies:
  - name: delivery-limit
    pattern: "^zocalo\\\\."
    definition: {delivery-limit: 5}
groups:
  - names: [zocalo.a, zocalo.b]
    bindings: zocalo.fan
    settings:
      queues: {type: quorum}
      single_active_consumer: yes
  - names: [zocalo.fan]
    settings: {broadcast: true}
  - names: [other]
    vhost: second
`;

function desired(text = FILE): DesiredState {
  return desiredState(parseRabbitmqFile(text, 'rabbit.yml'), 'rabbit.yml');
}

const EMPTY: CurrentState = { policies: [], queues: [], exchanges: [], bindings: [] };

/** The broker state that matches `state` exactly. */
function asCurrent(state: DesiredState): CurrentState {
  return {
    policies: state.policies,
    queues: state.queues.map((queue) => ({
      ...queue,
      exclusive: false,
      type: String(queue.arguments['x-queue-type']),
      messages: 0,
    })),
    exchanges: state.exchanges,
    bindings: state.bindings.map((binding) => ({ ...binding, propertiesKey: binding.routingKey })),
  };
}

function lines(actions: readonly Action[]): string[] {
  return actions.map(describeAction);
}

function usageError(text: string): string {
  try {
    parseRabbitmqFile(text, 'rabbit.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_USAGE);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('the file', () => {
  it('expands groups as python-zocalo does: queues with dlq twins, bindings, fanout exchanges', () => {
    const state = desired();
    expect(vhostsOf(state)).toEqual(['/', 'second']);
    expect(state.policies).toEqual([
      {
        vhost: '/',
        name: 'delivery-limit',
        pattern: '^zocalo\\.',
        definition: { 'delivery-limit': 5 },
        priority: 0,
        applyTo: 'queues',
      },
    ]);
    expect(state.queues.find((queue) => queue.name === 'zocalo.a')).toEqual({
      vhost: '/',
      name: 'zocalo.a',
      durable: true,
      autoDelete: false,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'dlq.zocalo.a',
        // YAML 1.1, as PyYAML: `yes` is true.
        'x-single-active-consumer': true,
      },
    });
    expect(state.queues.find((queue) => queue.name === 'dlq.zocalo.a')?.arguments).toEqual({
      'x-queue-type': 'quorum',
    });
    expect(state.queues.find((queue) => queue.name === 'other')).toMatchObject({
      vhost: 'second',
      arguments: { 'x-queue-type': 'classic', 'x-single-active-consumer': false },
    });
    expect(state.exchanges).toEqual([
      {
        vhost: '/',
        name: 'zocalo.fan',
        type: 'fanout',
        durable: true,
        autoDelete: false,
        internal: false,
        arguments: {},
      },
    ]);
    expect(
      state.bindings.map((binding) => `${binding.source}->${binding.destination}:${binding.routingKey}`),
    ).toEqual(['zocalo.fan->zocalo.a:zocalo.a', 'zocalo.fan->zocalo.b:zocalo.b']);
    expect(inVhost(state, 'second').queues.map((queue) => queue.name)).toEqual(['other', 'dlq.other']);
  });

  it('takes python-zocalo defaults for policies', () => {
    expect(desired('policies: [{name: p, definition: {max-length: 10}}]').policies[0]).toEqual({
      vhost: '/',
      name: 'p',
      pattern: '^amq.',
      definition: { 'max-length': 10 },
      priority: 0,
      applyTo: 'queues',
    });
  });

  it('names the file, line and key of what is wrong', () => {
    expect(usageError('groups:\n  - names: [a]\n    settings: {queues: {type: qorum}}\n')).toBe(
      'rabbit.yml:3:25: groups.0.settings.queues.type: must be one of "classic", "quorum", "stream", got "qorum"',
    );
    expect(usageError('groups:\n  - names: [a]\n    binding: x\n')).toMatch(
      /^rabbit\.yml:3:5: groups\.0\.binding: is not a key of this format \(known: names, vhost, bindings, settings\)$/,
    );
    expect(usageError('policies:\n  - pattern: x\n    definition: {a: 1}\n')).toBe(
      'rabbit.yml:2:5: policies.0.name: is required here',
    );
    expect(usageError('groups: {a: 1}')).toBe('rabbit.yml:1:1: groups: must be a list, got a mapping');
    expect(usageError('groups: [\n')).toMatch(/^rabbit\.yml:\d+:\d+: not valid YAML: /);
  });

  it('refuses one name declared twice with different settings', () => {
    expect(() =>
      desired('groups:\n  - names: [a]\n  - names: [a]\n    settings: {queues: {type: quorum}}\n'),
    ).toThrow('rabbit.yml: queue a in vhost / is declared twice with different settings');
  });
});

describe('the plan', () => {
  it('creates everything on an empty broker, in dependency order', () => {
    const actions = planConfiguration(desired(), EMPTY);
    expect(actions.every((action) => action.verb === 'create')).toBe(true);
    expect(lines(actions)).toEqual([
      'create policy / delivery-limit',
      'create queue / dlq.zocalo.a',
      'create queue / dlq.zocalo.b',
      'create queue / zocalo.a',
      'create queue / zocalo.b',
      'create queue second dlq.other',
      'create queue second other',
      'create exchange / zocalo.fan',
      'create binding / zocalo.fan -> zocalo.a with routing key zocalo.a',
      'create binding / zocalo.fan -> zocalo.b with routing key zocalo.b',
    ]);
  });

  it('keeps what is as the file says', () => {
    const state = desired();
    expect(planConfiguration(state, asCurrent(state), { prune: true }).map((action) => action.verb)).toEqual(
      Array(10).fill('keep'),
    );
  });

  it('updates a policy in place, listing what differs', () => {
    const state = desired();
    const current = asCurrent(state);
    const changed: CurrentState = {
      ...current,
      policies: [
        { ...current.policies[0], priority: 1, definition: { 'delivery-limit': 3, 'max-length': 9 } },
      ],
    };
    const [action] = planConfiguration(state, changed);
    expect(describeAction(action)).toBe(
      'update policy / delivery-limit (priority: 1 on the broker, 0 in the file; ' +
        'definition.delivery-limit: 3 on the broker, 5 in the file; ' +
        'definition.max-length: 9 on the broker, absent in the file)',
    );
  });

  it('reports a queue with other arguments, and re-creates it only with prune and force', () => {
    const state = desired();
    const current = asCurrent(state);
    const classic: CurrentState = {
      ...current,
      queues: current.queues.map((queue) =>
        queue.name === 'zocalo.a'
          ? { ...queue, type: 'classic', arguments: { ...queue.arguments, 'x-queue-type': 'classic' } }
          : queue,
      ),
    };
    const report = planConfiguration(state, classic, { prune: true });
    expect(lines(report.filter((action) => action.verb !== 'keep'))).toEqual([
      'differs queue / zocalo.a (x-queue-type: classic on the broker, quorum in the file)',
    ]);
    const forced = planConfiguration(state, classic, { prune: true, force: true });
    expect(lines(forced.filter((action) => action.verb !== 'keep'))).toEqual([
      'recreate queue / zocalo.a (x-queue-type: classic on the broker, quorum in the file)',
      // Deleting the queue deletes its binding: it is declared again.
      'create binding / zocalo.fan -> zocalo.a with routing key zocalo.a',
    ]);
    // --force alone is not enough: it only goes with --prune.
    expect(
      planConfiguration(state, classic, { force: true }).some((action) => action.verb === 'recreate'),
    ).toBe(false);
  });

  it('reports what is not in the file, and deletes it only with prune', () => {
    const state = desired();
    const current = asCurrent(state);
    const queue = (name: string, extra: Partial<CurrentQueue> = {}): CurrentQueue => ({
      vhost: '/',
      name,
      durable: true,
      autoDelete: false,
      exclusive: false,
      type: 'classic',
      arguments: {},
      messages: 0,
      ...extra,
    });
    const extra: CurrentState = {
      policies: [...current.policies, { ...current.policies[0], name: 'old' }],
      queues: [
        ...current.queues,
        queue('empty'),
        queue('full', { messages: 3 }),
        queue('quorum-unknown', { type: 'quorum', messages: undefined }),
        queue('quorum-empty', { type: 'quorum' }),
        queue('temporary', { exclusive: true, autoDelete: true }),
        queue('amq.gen-123'),
        // The AMQP transport's: delayed messages wait there.
        queue('zocalo.delay.5000ms.queue.processing_recipe', { type: 'quorum', messages: 2 }),
      ],
      exchanges: [
        ...current.exchanges,
        { vhost: '/', name: '', type: 'direct', durable: true, autoDelete: false, arguments: {} },
        { vhost: '/', name: 'amq.topic', type: 'topic', durable: true, autoDelete: false, arguments: {} },
        { vhost: '/', name: 'old.fan', type: 'fanout', durable: true, autoDelete: false, arguments: {} },
        {
          vhost: '/',
          name: 'delayed',
          type: 'x-delayed-message',
          durable: true,
          autoDelete: false,
          arguments: {},
        },
      ],
      bindings: [
        ...current.bindings,
        {
          vhost: '/',
          source: '',
          destination: 'empty',
          destinationType: 'queue',
          routingKey: 'empty',
          arguments: {},
          propertiesKey: 'empty',
        },
        {
          vhost: '/',
          source: 'zocalo.fan',
          destination: 'temporary',
          destinationType: 'queue',
          routingKey: '',
          arguments: {},
          propertiesKey: '~',
        },
        {
          vhost: '/',
          source: 'zocalo.fan',
          destination: 'full',
          destinationType: 'queue',
          routingKey: 'full',
          arguments: {},
          propertiesKey: 'full',
        },
        {
          vhost: '/',
          source: 'old.fan',
          destination: 'full',
          destinationType: 'queue',
          routingKey: '',
          arguments: {},
          propertiesKey: '~',
        },
      ],
    };
    const changes = (actions: Action[]): string[] =>
      lines(actions.filter((action) => action.verb !== 'keep'));
    expect(changes(planConfiguration(state, extra))).toEqual([
      'extra policy / old (not in the file; --prune deletes it)',
      'extra queue / empty (not in the file; --prune deletes it)',
      'extra queue / full (not in the file; --prune deletes it)',
      'extra queue / quorum-empty (not in the file; --prune deletes it)',
      'extra queue / quorum-unknown (not in the file; --prune deletes it)',
      'extra exchange / old.fan (not in the file; --prune deletes it)',
      'extra binding / old.fan -> full with routing key "" (not in the file; --prune deletes it)',
      'extra binding / zocalo.fan -> full with routing key full (not in the file; --prune deletes it)',
    ]);
    const pruned = planConfiguration(state, extra, { prune: true });
    expect(changes(pruned)).toEqual([
      'delete policy / old',
      'delete queue / empty',
      'skip delete queue / full (3 messages; --force deletes it with them)',
      expect.stringMatching(
        /^skip delete queue \/ quorum-empty \(a quorum queue, which RabbitMQ cannot delete/,
      ),
      expect.stringMatching(/^skip delete queue \/ quorum-unknown \(a quorum queue/),
      'delete exchange / old.fan',
      // The binding from old.fan goes with the exchange.
      'delete binding / zocalo.fan -> full with routing key full',
    ]);
    // Classic queues are deleted with if-empty, so the broker has the last word; quorum ones cannot be.
    expect(pruned.find((action) => describeAction(action) === 'delete queue / empty')).toMatchObject({
      ifEmpty: true,
    });
    expect(
      planConfiguration(state, extra, { prune: true, force: true }).find(
        (action) => describeAction(action) === 'delete queue / quorum-empty',
      ),
    ).toMatchObject({ ifEmpty: false });
    const forced = planConfiguration(state, extra, { prune: true, force: true });
    expect(changes(forced)).toEqual([
      'delete policy / old',
      'delete queue / empty',
      'delete queue / full',
      'delete queue / quorum-empty',
      'delete queue / quorum-unknown',
      'delete exchange / old.fan',
    ]);
  });

  it('never prunes the exchange a binding of the file comes from, and skips a binding without one', () => {
    const state = desired('groups: [{names: [q], bindings: elsewhere}]');
    const withExchange: CurrentState = {
      ...EMPTY,
      exchanges: [
        { vhost: '/', name: 'elsewhere', type: 'topic', durable: true, autoDelete: false, arguments: {} },
      ],
    };
    expect(lines(planConfiguration(state, withExchange, { prune: true }))).toEqual([
      'create queue / dlq.q',
      'create queue / q',
      'create binding / elsewhere -> q with routing key q',
    ]);
    expect(lines(planConfiguration(state, EMPTY)).at(-1)).toBe(
      'skip create binding / elsewhere -> q with routing key q (exchange elsewhere is neither in the file nor on the broker: ' +
        'declare it (under exchanges: or as a broadcast group) first)',
    );
  });
});
