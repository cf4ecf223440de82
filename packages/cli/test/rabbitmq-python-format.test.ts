/**
 * `zocalo rabbitmq configure` without a broker, on python-zocalo's current format: the contrib file read
 * as its `configure_rabbitmq` reads it (explicit dead-letter patterns, list-valued group bindings, the
 * default exchange, top-level exchanges and bindings, streams), the `--user-config` INI files, and the
 * plans for users, vhosts, permissions and exchange types the broker lacks.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '@zocalo/rabbitmq-management';
import { CliError } from '../src/cli-error';
import { desiredState, inVhost, parseRabbitmqFile, vhostsOf } from '../src/rabbitmq-file';
import type { Action, CurrentState, CurrentUser, DesiredState } from '../src/rabbitmq-plan';
import { describeAction, planConfiguration } from '../src/rabbitmq-plan';
import { parseTags, parseUserFile, readUserConfig } from '../src/rabbitmq-users';
import { FIXTURES, tempDirectory } from './helpers';

const CONTRIB = join(FIXTURES, 'python-zocalo');

function desired(text: string): DesiredState {
  return desiredState(parseRabbitmqFile(text, 'rabbit.yml'), 'rabbit.yml');
}

const EMPTY: CurrentState = { policies: [], queues: [], exchanges: [], bindings: [] };
const PLAIN_TYPES = ['direct', 'fanout', 'headers', 'topic'];

function lines(actions: readonly Action[], verbs?: readonly string[]): string[] {
  return actions.filter((action) => !verbs || verbs.includes(action.verb)).map(describeAction);
}

describe('python-zocalo’s contrib/rabbitmq-configuration.yaml', () => {
  const state = desired(readFileSync(join(CONTRIB, 'rabbitmq-configuration.yaml'), 'utf8'));

  it('names one vhost, and reads its exchanges, policies and bindings with Python’s defaults', () => {
    expect(vhostsOf(state)).toEqual(['zocalo']);
    expect(state.exchanges.filter((exchange) => ['delayed', 'results'].includes(exchange.name))).toEqual([
      {
        vhost: 'zocalo',
        name: 'delayed',
        type: 'x-delayed-message',
        durable: false,
        autoDelete: false,
        internal: false,
        arguments: { 'x-delayed-type': 'direct' },
      },
      {
        vhost: 'zocalo',
        name: 'results',
        type: 'topic',
        durable: false,
        autoDelete: false,
        internal: false,
        arguments: {},
      },
    ]);
    expect(state.policies.find((policy) => policy.name === 'dlq')).toEqual({
      vhost: 'zocalo',
      name: 'dlq',
      pattern: '^amq.',
      definition: { 'dead-letter-exchange': '' },
      priority: 0,
      applyTo: 'queues',
    });
    expect(state.bindings.find((binding) => binding.source === 'results')).toEqual({
      vhost: 'zocalo',
      source: 'results',
      destination: 'xrc.i03',
      destinationType: 'queue',
      routingKey: 'xrc.i03',
      arguments: {},
    });
  });

  it('gives a group dead-letter queues only where it names a pattern', () => {
    const queue = (name: string) => state.queues.find((entry) => entry.name === name);
    expect(queue('processing_recipe')?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-single-active-consumer': false,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'dlq.processing_recipe',
    });
    expect(queue('dlq.processing_recipe')?.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(queue('jsonlines')?.arguments).toMatchObject({ 'x-single-active-consumer': true });
    expect(queue('per_image_analysis.ssx')?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-single-active-consumer': false,
    });
    expect(queue('xrc.i03')?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-single-active-consumer': false,
    });
    expect(queue('dlq.per_image_analysis.ssx')).toBeUndefined();
    expect(queue('dlq.xrc.i03')).toBeUndefined();
    expect(state.queues).toHaveLength(64);
    // Broadcast groups are fanout exchanges.
    expect(
      state.exchanges.filter((exchange) => exchange.type === 'fanout').map((exchange) => exchange.name),
    ).toEqual(['command', 'transient.status', 'transient.statistics.cluster']);
  });

  it('plans the default exchange’s bindings as kept and the delayed exchange as not applicable', () => {
    const actions = planConfiguration(state, { ...EMPTY, exchangeTypes: PLAIN_TYPES });
    expect(lines(actions, ['unsupported']).slice(0, 2)).toEqual([
      'not applicable exchange zocalo delayed (this broker offers no exchange type x-delayed-message (it needs the ' +
        'rabbitmq_delayed_message_exchange plugin); it offers direct, fanout, headers, topic)',
      'not applicable binding zocalo delayed -> archive.filelist with routing key archive.filelist ' +
        '(exchange delayed is not applicable, above)',
    ]);
    const count = (verb: string): number => actions.filter((action) => action.verb === verb).length;
    expect([count('create'), count('keep'), count('unsupported'), count('skip')]).toEqual([
      4 + 64 + 4 + 1,
      33,
      32,
      0,
    ]);
    expect(lines(actions, ['keep'])).toContain(
      'keep binding zocalo (default exchange) -> xrc.i03 with routing key xrc.i03',
    );
    // With the plugin, the exchange and its bindings are created.
    const withPlugin = planConfiguration(state, {
      ...EMPTY,
      exchangeTypes: [...PLAIN_TYPES, 'x-delayed-message'],
    });
    expect(withPlugin.filter((action) => action.verb === 'unsupported')).toEqual([]);
    expect(lines(withPlugin)).toContain(
      'create binding zocalo delayed -> jsonlines with routing key jsonlines',
    );
  });
});

describe('the rest of python-zocalo’s format', () => {
  it('reads vhosts and permissions, and a file without exchanges: as before', () => {
    const state = desired(
      [
        'vhosts: [{name: a, description: first, tags: [x]}, {name: b}]',
        'permissions: [{user: u, vhost: a, configure: "^$", write: ".*", read: ".*"}]',
        'exchanges: []',
        'groups: [{names: [q], vhost: a, bindings: ex, settings: {queues: {type: stream}, single_active_consumer: true}}]',
      ].join('\n'),
    );
    expect(state.vhosts).toEqual([
      { name: 'a', description: 'first', tags: ['x'], tracing: false },
      { name: 'b', description: '', tags: [], tracing: false },
    ]);
    expect(state.permissions).toEqual([{ vhost: 'a', user: 'u', configure: '^$', write: '.*', read: '.*' }]);
    // A stream takes no single-active-consumer; a name for bindings is a list of one.
    expect(state.queues).toEqual([
      { vhost: 'a', name: 'q', durable: true, autoDelete: false, arguments: { 'x-queue-type': 'stream' } },
    ]);
    expect(state.bindings.map((binding) => binding.source)).toEqual(['ex']);
    expect(vhostsOf(state)).toEqual(['a', 'b']);
    expect(inVhost(state, 'b').vhosts).toEqual([{ name: 'b', description: '', tags: [], tracing: false }]);
    // Without `exchanges:` (this command's earlier format) every queue keeps its dlq.<name>.
    expect(desired('groups: [{names: [q]}]').queues.map((queue) => queue.name)).toEqual(['q', 'dlq.q']);
    expect(desired('exchanges: []\ngroups: [{names: [q]}]').queues.map((queue) => queue.name)).toEqual(['q']);
  });

  it('formats dead-letter patterns as Python’s str.format, and names what it cannot', () => {
    const state = desired(
      'exchanges: []\ngroups: [{names: [q], settings: {queues: {dead-letter-routing-key-pattern: "{{x}}.{name}", ' +
        'dead-letter-exchange: dlx, dead-letter-queue-create: false}}}]',
    );
    expect(state.queues).toEqual([
      {
        vhost: '/',
        name: 'q',
        durable: true,
        autoDelete: false,
        arguments: {
          'x-queue-type': 'classic',
          'x-single-active-consumer': false,
          'x-dead-letter-exchange': 'dlx',
          'x-dead-letter-routing-key': '{x}.q',
        },
      },
    ]);
    expect(() =>
      desired(
        'exchanges: []\ngroups: [{names: [q], settings: {queues: {dead-letter-routing-key-pattern: "dlq.{queue}"}}}]',
      ),
    ).toThrow('rabbit.yml: dead-letter-routing-key-pattern "dlq.{queue}": only {name} may stand in braces');
    expect(() => parseRabbitmqFile('exchanges: [{name: x, type: topic}]', 'rabbit.yml')).toThrow(
      'rabbit.yml:1:13: exchanges.0.vhost: is required here',
    );
    expect(() =>
      parseRabbitmqFile(
        'bindings: [{source: a, destination: b, vhost: v, destination_type: queue}]',
        'rabbit.yml',
      ),
    ).toThrow(/bindings\.0\.destination_type: must be one of "q", "e", got "queue"$/);
  });

  it('skips a binding the default exchange cannot take, or to a queue that is nowhere', () => {
    const state = desired(
      'exchanges: [{name: ex, vhost: /, type: topic}]\n' +
        'bindings: [{source: "", destination: q, vhost: /, routing_key: other}, {source: ex, destination: nowhere, vhost: /}]\n' +
        'groups: [{names: [q]}]',
    );
    expect(lines(planConfiguration(state, EMPTY), ['skip'])).toEqual([
      'skip create binding / (default exchange) -> q with routing key other (the default exchange routes to each ' +
        'queue by its name only; RabbitMQ refuses other bindings to it)',
      'skip create binding / ex -> nowhere with routing key nowhere (queue nowhere is neither in the file nor on the broker)',
    ]);
  });
});

describe('users of --user-config', () => {
  it('reads python-zocalo’s contrib user, and INI files as configparser does', () => {
    expect(readUserConfig(join(CONTRIB, 'rabbitmq_users'))).toEqual([
      {
        name: 'custom',
        password: 'custompass',
        tags: ['administrator'],
        file: join(CONTRIB, 'rabbitmq_users', 'custom-user.ini'),
      },
    ]);
    expect(
      parseUserFile(
        '[DEFAULT]\nsite = dls\n[rabbitmq]\nUserName: svc\n; a comment\npassword = %(site)s-50%%\ntags =\n',
        'u.ini',
      ),
    ).toEqual({ name: 'svc', password: 'dls-50%', tags: [], file: 'u.ini' });
    expect(parseTags(' administrator, monitoring ,,monitoring')).toEqual(['administrator', 'monitoring']);
  });

  it('refuses a file Python could not read, a user declared twice, and an empty folder', () => {
    expect(() => parseUserFile('[other]\nusername = x\n', 'u.ini')).toThrow(
      'u.ini has no [rabbitmq] section',
    );
    expect(() => parseUserFile('[rabbitmq]\nusername = x\npassword =\n', 'u.ini')).toThrow(
      'u.ini: [rabbitmq] gives no password',
    );
    const dir = tempDirectory({ 'a.ini': '[rabbitmq]\nusername = x\npassword = 1\n' });
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.ini'), '[rabbitmq]\nusername = x\npassword = 2\n');
    const error = (() => {
      try {
        readUserConfig(dir);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe('sub/b.ini declares user x, who was previously declared in a.ini');
    expect(() => readUserConfig(tempDirectory())).toThrow(/holds no \*\.ini files$/);
    expect(() => readUserConfig(join(tempDirectory(), 'missing'))).toThrow(/no such folder$/);
  });

  const broker = (name: string, password: string, tags: string[]): CurrentUser => ({
    name,
    passwordHash: hashPassword(password),
    hashingAlgorithm: 'rabbit_password_hashing_sha256',
    tags,
  });

  it('creates, updates (never showing the password), keeps, and prunes users but the API’s own', () => {
    const state: DesiredState = {
      ...EMPTY,
      users: [
        { name: 'new', password: 'p', tags: [], file: 'new.ini' },
        { name: 'moved', password: 'secret-2', tags: ['management'], file: 'moved.ini' },
        { name: 'same', password: 'p', tags: ['b', 'a'], file: 'same.ini' },
      ],
    };
    const current: CurrentState = {
      ...EMPTY,
      self: 'guest',
      users: [
        broker('guest', 'guest', ['administrator']),
        broker('old', 'x', []),
        broker('moved', 'secret-1', []),
        broker('same', 'p', ['a', 'b']),
      ],
    };
    expect(lines(planConfiguration(state, current))).toEqual([
      'extra user guest (not in the file; --prune deletes it)',
      'extra user old (not in the file; --prune deletes it)',
      'update user moved (password: not the one of moved.ini; tags: [] on the broker, ["management"] in the file)',
      'create user new',
      'keep user same',
    ]);
    const pruned = planConfiguration(state, current, { prune: true });
    expect(lines(pruned).slice(0, 2)).toEqual([
      'skip delete user guest (the management API logs in as this user: change it by hand)',
      'delete user old',
    ]);
    // Written again with its stored salt, as python-zocalo does.
    const update = pruned.find((action) => action.verb === 'update');
    expect(update?.subject.spec).toMatchObject({ name: 'moved', saltFrom: current.users![2].passwordHash });
    // A user stored with another algorithm is written again as sha256.
    const md5: CurrentUser = {
      ...broker('same', 'p', ['a', 'b']),
      hashingAlgorithm: 'rabbit_password_hashing_md5',
    };
    expect(
      lines(planConfiguration({ ...EMPTY, users: [state.users![2]] }, { ...EMPTY, users: [md5] })),
    ).toEqual([
      'update user same (hashing_algorithm: rabbit_password_hashing_md5 on the broker, rabbit_password_hashing_sha256 in the file)',
    ]);
  });
});

describe('vhosts and permissions', () => {
  const state = desired(
    'vhosts: [{name: a, description: new}, {name: b}]\n' +
      'permissions: [{user: u, vhost: a, configure: ".*", write: ".*", read: ".*"}, ' +
      '{user: nobody, vhost: a, configure: "", write: "", read: ""}]\nexchanges: []',
  );
  const current: CurrentState = {
    ...EMPTY,
    self: 'guest',
    users: [{ name: 'u', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] }],
    vhosts: [
      { name: '/', description: '', tags: [], tracing: false },
      { name: 'a', description: 'old', tags: [], tracing: false },
      { name: 'other', description: '', tags: [], tracing: false },
    ],
    permissions: [
      { vhost: 'a', user: 'u', configure: '^$', write: '.*', read: '.*' },
      { vhost: 'a', user: 'guest', configure: '.*', write: '.*', read: '.*' },
      { vhost: 'a', user: 'gone', configure: '.*', write: '.*', read: '.*' },
    ],
  };

  it('creates and updates vhosts and permissions in place, and reports what is extra', () => {
    expect(lines(planConfiguration(state, current))).toEqual([
      'extra vhost other (not in the file; --prune deletes it)',
      'update vhost a (description: old on the broker, new in the file)',
      'create vhost b',
      'extra permission a gone (not in the file; --prune deletes it)',
      'extra permission a guest (not in the file; --prune deletes it)',
      'skip create permission a nobody (user nobody is neither on the broker nor in --user-config)',
      'update permission a u (configure: "^$" on the broker, ".*" in the file)',
    ]);
  });

  it('prunes permissions but the API user’s, and a vhost only with --force', () => {
    expect(lines(planConfiguration(state, current, { prune: true }), ['delete', 'skip'])).toEqual([
      'skip delete vhost other (deleting a vhost deletes its queues and their messages: --force deletes it with them)',
      'delete permission a gone',
      'skip delete permission a guest (the management API logs in as this user: change it by hand)',
      'skip create permission a nobody (user nobody is neither on the broker nor in --user-config)',
    ]);
    expect(lines(planConfiguration(state, current, { prune: true, force: true }), ['delete'])).toEqual([
      'delete vhost other',
      'delete permission a gone',
    ]);
  });
});
