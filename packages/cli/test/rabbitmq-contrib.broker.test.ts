/**
 * python-zocalo's own `contrib/rabbitmq-configuration.yaml` and `contrib/rabbitmq_users/` (copied
 * verbatim into test/fixtures/python-zocalo) applied by `zocalo rabbitmq configure` to the real
 * RabbitMQ, in a vhost of its own. The file names its vhost in every entry (`vhost: zocalo`) and
 * python-zocalo's tool has no option for another, so the file is pointed at the test's vhost the only
 * way Python's could be: those lines rewritten, nothing else. What the broker then holds, read back
 * through the management API, is compared with what python-zocalo's `configure_rabbitmq` creates,
 * written out below by following its code (`get_queue_specs`, `get_exchange_specs`,
 * `get_binding_specs`, `_configure_policies`, `_configure_users`). The broker of scripts/brokers.sh
 * lacks the delayed-message plugin: the `delayed` exchange and the bindings from it are reported as
 * not applicable and everything else is applied.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { RabbitManagement } from '@zocalo/rabbitmq-management';
import { BROKERS, requireBroker, uniqueName } from '@zocalo/test-brokers';
import { FIXTURES, tempDirectory, zocalo } from './helpers';

jest.setTimeout(120_000);

const management = new RabbitManagement({
  url: BROKERS.management.url,
  username: BROKERS.management.user,
  password: BROKERS.management.pass,
});
const API = [
  '--rabbit-api',
  BROKERS.management.url,
  '--rabbit-api-user',
  BROKERS.management.user,
  '--rabbit-api-pass',
  BROKERS.management.pass,
];
const CONTRIB = join(FIXTURES, 'python-zocalo');
const vhost = uniqueName('zocalo-contrib');
const dir = tempDirectory();
const file = join(dir, 'rabbitmq-configuration.yaml');
const users = join(dir, 'rabbitmq_users');
/** The user of contrib/rabbitmq_users/custom-user.ini. */
const USER = { name: 'custom', password: 'custompass', tags: ['administrator'] };

// --- what python-zocalo's configure_rabbitmq creates from the file, following its code ---------------

/** The first group: quorum, `dead-letter-routing-key-pattern: dlq.{name}`, bound to '' and delayed. */
const WORKHORSES = [
  'archive.filelist',
  'archive.pattern',
  'cluster.submission',
  'darc.dropzone',
  'dispatcher',
  'filewatcher',
  'htcondorwatcher',
  'images',
  'index',
  'ispyb_connector',
  'ispyb_pia',
  'mailnotification',
  'mimas',
  'mimas.held',
  'nexusparser.find_related_files',
  'notify_gda',
  'per_image_analysis',
  'per_image_analysis.hdf5_select',
  'processing_recipe',
  'pymca.fitter',
  'relion.dev.stop',
  'ssx.plot',
  'transient.destination',
  'transient.transaction',
  'trigger',
  'validation',
  'bridge.test',
];
/** The single-active-consumer group: the same, with `single_active_consumer: true`. */
const SINGLE_CONSUMER = ['reduce.dc_sim', 'reduce.xray_centering', 'statistics.cluster', 'jsonlines'];
/** Groups without a dead-letter pattern: no dead-letter arguments, no dlq queue. */
const WITHOUT_DLQ = ['per_image_analysis.ssx', 'xrc.i03'];
const BROADCASTS = ['command', 'transient.status', 'transient.statistics.cluster'];

/**
 * `get_queue_specs`: arguments `x-queue-type`, `x-single-active-consumer` (not for streams) and, with a
 * pattern, `x-dead-letter-exchange: ''` and `x-dead-letter-routing-key`; `durable=True`.
 */
function pythonQueue(singleActiveConsumer: boolean, deadLetter?: string): Record<string, unknown> {
  return {
    durable: true,
    auto_delete: false,
    exclusive: false,
    type: 'quorum',
    arguments: {
      'x-queue-type': 'quorum',
      'x-single-active-consumer': singleActiveConsumer,
      ...(deadLetter === undefined
        ? {}
        : { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetter }),
    },
  };
}

const DLQ = {
  durable: true,
  auto_delete: false,
  exclusive: false,
  type: 'quorum',
  arguments: { 'x-queue-type': 'quorum' },
};

const EXPECTED_QUEUES: Record<string, Record<string, unknown>> = Object.fromEntries([
  ...WORKHORSES.map((name) => [name, pythonQueue(false, `dlq.${name}`)]),
  ...WORKHORSES.map((name) => [`dlq.${name}`, DLQ]),
  ...SINGLE_CONSUMER.map((name) => [name, pythonQueue(true, `dlq.${name}`)]),
  ...SINGLE_CONSUMER.map((name) => [`dlq.${name}`, DLQ]),
  ...WITHOUT_DLQ.map((name) => [name, pythonQueue(false)]),
]);

/**
 * `get_exchange_specs` (`ExchangeSpec(**exchange)`: durable, auto_delete, internal default False and,
 * being defaults, not sent, so the broker's false) and `get_exchange_specs_for_group` (fanout, durable).
 */
const EXPECTED_EXCHANGES: Record<string, Record<string, unknown>> = {
  results: { type: 'topic', durable: false, auto_delete: false, internal: false, arguments: {} },
  ...Object.fromEntries(
    BROADCASTS.map((name) => [
      name,
      { type: 'fanout', durable: true, auto_delete: false, internal: false, arguments: {} },
    ]),
  ),
};
const DELAYED_EXCHANGE = {
  type: 'x-delayed-message',
  durable: false,
  auto_delete: false,
  internal: false,
  arguments: { 'x-delayed-type': 'direct' },
};

/** `_configure_policies`: `apply-to` default `queues`, `pattern` default `^amq.`, priority default 0. */
const EXPECTED_POLICIES = [
  {
    name: 'dlq',
    pattern: '^amq.',
    'apply-to': 'queues',
    priority: 0,
    definition: { 'dead-letter-exchange': '' },
  },
  {
    name: 'immediate',
    pattern: 'per_image_analysis.ssx',
    'apply-to': 'queues',
    priority: 1,
    definition: { 'message-ttl': 0 },
  },
  {
    name: 'redelivery',
    pattern: '.*',
    'apply-to': 'queues',
    priority: 0,
    definition: { 'delivery-limit': 5 },
  },
  {
    name: 'ttl',
    pattern: '^xrc.*',
    'apply-to': 'queues',
    priority: 1,
    definition: { 'delivery-limit': 5, 'message-ttl': 60000 },
  },
];

/** python-zocalo's `hash_password(password, salt=stored)`: the stored hash again when the password is right. */
function pythonRehash(password: string, stored: string): string {
  const salt = Buffer.from(stored, 'base64').subarray(0, 4);
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

// --- the test ------------------------------------------------------------------------------------------

let delayedPlugin = false;

beforeAll(async () => {
  await requireBroker('amqp');
  // The file declares no vhost (its header says why): the site creates it, as for python-zocalo.
  await management.putVhost({ name: vhost });
  delayedPlugin = (await management.exchangeTypes()).includes('x-delayed-message');
  const original = readFileSync(join(CONTRIB, 'rabbitmq-configuration.yaml'), 'utf8');
  const rewritten = original.replace(/^(\s*(?:- )?vhost: )zocalo$/gm, `$1${vhost}`);
  // Only the vhost lines change: 2 exchanges, 4 policies, 5 groups, 1 binding.
  expect(rewritten.split(vhost).length - 1).toBe(12);
  expect(rewritten.replaceAll(vhost, 'zocalo')).toBe(original);
  writeFileSync(file, rewritten);
  cpSync(join(CONTRIB, 'rabbitmq_users'), users, { recursive: true });
});

afterAll(async () => {
  await management.deleteVhost(vhost).catch(() => undefined);
  await management.deleteUser(USER.name).catch(() => undefined);
});

function configure(...args: string[]): ReturnType<typeof zocalo> {
  return zocalo(['rabbitmq', 'configure', file, '--user-config', users, ...args, ...API], {
    timeout: 110_000,
  });
}

/** The broker's other users (guest): not in the user files, so extra (python-zocalo would delete them). */
async function otherUsers(): Promise<number> {
  return (await management.users()).filter((user) => user.name !== USER.name).length;
}

it('applies the file and the users as python-zocalo does; the delayed exchange is not applicable', async () => {
  const others = await otherUsers();
  const result = await configure();
  expect(result.stdout).toContain(
    `extra user ${BROKERS.management.user} (not in the file; --prune deletes it)\n`,
  );
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`create user ${USER.name}\n`);
  expect(result.stdout).toContain(`create queue ${vhost} dlq.processing_recipe\n`);
  expect(result.stdout).toContain(`create exchange ${vhost} results\n`);
  expect(result.stdout).toContain(`create binding ${vhost} results -> xrc.i03 with routing key xrc.i03\n`);
  // 1 user, 4 policies, 64 queues, 4 exchanges, 1 binding; the default exchange's bindings come with the queues.
  const created = 1 + 4 + Object.keys(EXPECTED_QUEUES).length + 4 + 1;
  if (delayedPlugin) {
    expect(result.stdout).toMatch(new RegExp(`^${created + 1 + 31} created, 0 updated, .* 0 failed$`, 'm'));
    expect(result.stderr).toBe('');
  } else {
    expect(result.stdout).toContain(
      `not applicable exchange ${vhost} delayed (this broker offers no exchange type x-delayed-message ` +
        '(it needs the rabbitmq_delayed_message_exchange plugin); it offers direct, fanout, headers, topic)\n',
    );
    expect(result.stdout).toContain(
      `not applicable binding ${vhost} delayed -> processing_recipe with routing key processing_recipe ` +
        '(exchange delayed is not applicable, above)\n',
    );
    // The exchange and its 31 bindings (27 + 4 queues).
    expect(result.stdout).toMatch(
      new RegExp(
        `^${created} created, 0 updated, 0 re-created, 0 deleted, 33 unchanged, ${others} extra, 0 differing, 0 skipped, 0 failed, 32 not applicable$`,
        'm',
      ),
    );
    expect(result.stderr).toContain('32 objects were not applicable on this broker and left out');
  }

  // Queues, with their arguments.
  const queues = await management.queuesIn(vhost);
  expect(
    Object.fromEntries(
      queues.map((queue) => [
        queue.name,
        {
          durable: queue.durable,
          auto_delete: queue.auto_delete,
          exclusive: queue.exclusive,
          type: queue.type,
          arguments: queue.arguments,
        },
      ]),
    ),
  ).toEqual(EXPECTED_QUEUES);

  // Exchanges (the broker's own, '' and amq.*, aside).
  const exchanges = (await management.exchangesIn(vhost)).filter(
    (exchange) => exchange.name !== '' && !exchange.name.startsWith('amq.'),
  );
  expect(
    Object.fromEntries(
      exchanges.map(({ name, type, durable, auto_delete, internal, arguments: args }) => [
        name,
        { type, durable, auto_delete, internal, arguments: args },
      ]),
    ),
  ).toEqual(delayedPlugin ? { ...EXPECTED_EXCHANGES, delayed: DELAYED_EXCHANGE } : EXPECTED_EXCHANGES);

  // Bindings: every queue from the default exchange by its name, results -> xrc.i03, and (with the
  // plugin) delayed -> each queue of the two groups that name it.
  const bindings = await management.bindingsIn(vhost);
  expect(
    bindings
      .filter((binding) => binding.source === '')
      .map((binding) => `${binding.destination}:${binding.routing_key}`)
      .sort(),
  ).toEqual(
    Object.keys(EXPECTED_QUEUES)
      .map((name) => `${name}:${name}`)
      .sort(),
  );
  expect(
    bindings
      .filter((binding) => binding.source !== '')
      .map(
        (binding) =>
          `${binding.source}->${binding.destination_type}:${binding.destination}:${binding.routing_key}:${JSON.stringify(binding.arguments)}`,
      )
      .sort(),
  ).toEqual(
    [
      'results->queue:xrc.i03:xrc.i03:{}',
      ...(delayedPlugin
        ? [...WORKHORSES, ...SINGLE_CONSUMER].map((name) => `delayed->queue:${name}:${name}:{}`)
        : []),
    ].sort(),
  );

  // Policies.
  expect(
    (await management.policiesIn(vhost))
      .map(({ name, pattern, priority, definition, ...rest }) => ({
        name,
        pattern,
        'apply-to': rest['apply-to'],
        priority,
        definition,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  ).toEqual(EXPECTED_POLICIES);

  // The user: its tags, a sha256 hash of its password as python-zocalo checks it, and a login with it.
  const user = await management.user(USER.name);
  expect(user).toMatchObject({
    name: USER.name,
    tags: USER.tags,
    hashing_algorithm: 'rabbit_password_hashing_sha256',
  });
  expect(Buffer.from(user!.password_hash, 'base64')).toHaveLength(4 + 32);
  expect(pythonRehash(USER.password, user!.password_hash)).toBe(user!.password_hash);
  const asUser = new RabbitManagement({
    url: BROKERS.management.url,
    username: USER.name,
    password: USER.password,
  });
  expect(await asUser.whoami()).toEqual({ name: USER.name, tags: USER.tags });

  // Permissions: the file has none, so the vhost's are as they were (its creator's).
  expect((await management.permissionsIn(vhost)).map((permission) => permission.user)).toEqual([
    BROKERS.management.user,
  ]);
});

it('changes nothing on a second run, users and hashes included', async () => {
  const before = await management.user(USER.name);
  const result = await configure();
  expect(result.code).toBe(0);
  // Everything kept: 1 user, 4 policies, 64 queues, 4 exchanges, 1 binding, 33 default-exchange bindings.
  const kept = 1 + 4 + Object.keys(EXPECTED_QUEUES).length + 4 + 1 + 33;
  expect(result.stdout).toMatch(
    new RegExp(
      `^0 created, 0 updated, 0 re-created, 0 deleted, ${kept} unchanged, ${await otherUsers()} extra, 0 differing, 0 skipped, 0 failed`,
      'm',
    ),
  );
  expect((await management.user(USER.name))?.password_hash).toBe(before?.password_hash);
});

it('updates a user whose password or tags changed, keeping its salt as python-zocalo does', async () => {
  const before = await management.user(USER.name);
  writeFileSync(
    join(users, 'custom-user.ini'),
    '[rabbitmq]\nusername = custom\npassword = n3w-secret\ntags = monitoring, management\n',
  );
  const result = await configure('--dry-run');
  expect(result.stdout).toContain(
    `update user ${USER.name} (password: not the one of ${join(users, 'custom-user.ini')}; ` +
      'tags: ["administrator"] on the broker, ["management","monitoring"] in the file)\n',
  );
  expect(result.stdout).not.toContain('n3w-secret');
  const applied = await configure();
  expect(applied.code).toBe(0);
  const after = await management.user(USER.name);
  expect([...(after?.tags ?? [])].sort()).toEqual(['management', 'monitoring']);
  const salt = (hash: string | undefined): string =>
    Buffer.from(hash ?? '', 'base64')
      .subarray(0, 4)
      .toString('hex');
  expect(salt(after?.password_hash)).toBe(salt(before?.password_hash));
  expect(pythonRehash('n3w-secret', after!.password_hash)).toBe(after!.password_hash);
  writeFileSync(
    join(users, 'custom-user.ini'),
    readFileSync(join(CONTRIB, 'rabbitmq_users', 'custom-user.ini')),
  );
});
