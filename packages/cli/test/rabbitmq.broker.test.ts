/**
 * `zocalo rabbitmq configure` against the real RabbitMQ, with the built bin, in a vhost of its own that
 * it creates and deletes (the broker is shared: nothing here prunes vhost "/"). One file evolves through
 * the tests: created from nothing, unchanged on a second run, a policy updated in place, queues whose
 * type changed reported and re-created only with --prune --force, extra queues pruned only when empty
 * (or with --force), a dry run that changes nothing, and a broken file refused with exit code 2.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RabbitManagement } from '@zocalo/rabbitmq-management';
import { BROKERS, requireBroker, uniqueName } from '@zocalo/test-brokers';
import { configureRabbitmq } from '../src/rabbitmq-configure';
import { tempDirectory, zocalo } from './helpers';

jest.setTimeout(60_000);

const management = new RabbitManagement({
  url: BROKERS.management.url,
  username: BROKERS.management.user,
  password: BROKERS.management.pass,
});
const vhost = uniqueName('zocalo-configure');
const dir = tempDirectory();
const file = join(dir, 'rabbitmq.yml');
const API = [
  '--rabbit-api',
  BROKERS.management.url,
  '--rabbit-api-user',
  BROKERS.management.user,
  '--rabbit-api-pass',
  BROKERS.management.pass,
];

/** The test file: two queues bound to a fanout exchange, and a delivery-limit policy. */
function writeFile(options: { readonly limit?: number; readonly type?: string } = {}): void {
  writeFileSync(
    file,
    [
      'policies:',
      '  - name: zocalo-delivery-limit',
      `    vhost: ${vhost}`,
      '    pattern: "^zocalo\\\\."',
      `    definition: {delivery-limit: ${options.limit ?? 5}}`,
      'groups:',
      '  - names: [zocalo.a, zocalo.b]',
      `    vhost: ${vhost}`,
      '    bindings: zocalo.fan',
      `    settings: {queues: {type: ${options.type ?? 'quorum'}}}`,
      '  - names: [zocalo.fan]',
      `    vhost: ${vhost}`,
      '    settings: {broadcast: true}',
      '',
    ].join('\n'),
  );
}

function configure(...args: string[]): ReturnType<typeof zocalo> {
  return zocalo(['rabbitmq', 'configure', file, '--vhost', vhost, ...args, ...API]);
}

async function queue(
  name: string,
): Promise<{ type?: string; arguments?: Record<string, unknown> } | undefined> {
  return (await management.queuesIn(vhost)).find((entry) => entry.name === name);
}

async function declareExtra(name: string, messages = 0): Promise<void> {
  await management.declareQueue({ vhost, name, durable: true, auto_delete: false, arguments: {} });
  for (let n = 0; n < messages; n += 1) {
    await management.request('POST', management.pathIn('exchanges', vhost, 'amq.default', 'publish'), {
      properties: { delivery_mode: 2 },
      routing_key: name,
      payload: `message ${n}`,
      payload_encoding: 'string',
    });
  }
}

beforeAll(async () => {
  await requireBroker('amqp');
  await management.request('PUT', `/api/vhosts/${encodeURIComponent(vhost)}`, {});
  await management.request(
    'PUT',
    `/api/permissions/${encodeURIComponent(vhost)}/${BROKERS.management.user}`,
    {
      configure: '.*',
      write: '.*',
      read: '.*',
    },
  );
});

afterAll(async () => {
  await management.request('DELETE', `/api/vhosts/${encodeURIComponent(vhost)}`);
});

it('creates queues with their dlq twins, a binding, a fanout exchange and a policy', async () => {
  writeFile();
  const result = await configure();
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`create queue ${vhost} zocalo.a\n`);
  expect(result.stdout).toContain(
    `create binding ${vhost} zocalo.fan -> zocalo.a with routing key zocalo.a\n`,
  );
  expect(result.stdout).toMatch(/^8 created, 0 updated, 0 re-created, 0 deleted, 0 unchanged, .* 0 failed$/m);

  expect(await queue('zocalo.a')).toMatchObject({
    type: 'quorum',
    durable: true,
    auto_delete: false,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'dlq.zocalo.a',
      'x-single-active-consumer': false,
    },
  });
  expect(await queue('dlq.zocalo.b')).toMatchObject({
    type: 'quorum',
    arguments: { 'x-queue-type': 'quorum' },
  });
  const exchange = (await management.exchangesIn(vhost)).find((entry) => entry.name === 'zocalo.fan');
  expect(exchange).toMatchObject({ type: 'fanout', durable: true, auto_delete: false });
  const bindings = (await management.bindingsIn(vhost)).filter((binding) => binding.source === 'zocalo.fan');
  expect(bindings.map((binding) => `${binding.destination}:${binding.routing_key}`).sort()).toEqual([
    'zocalo.a:zocalo.a',
    'zocalo.b:zocalo.b',
  ]);
  expect(await management.policiesIn(vhost)).toEqual([
    expect.objectContaining({
      name: 'zocalo-delivery-limit',
      pattern: '^zocalo\\.',
      'apply-to': 'queues',
      priority: 0,
      definition: { 'delivery-limit': 5 },
    }),
  ]);
});

it('changes nothing on a second run, and lists what it keeps with -v', async () => {
  const result = await configure('-v', '--log-level', 'warn');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`keep queue ${vhost} dlq.zocalo.a\n`);
  expect(result.stdout).toMatch(/^0 created, 0 updated, 0 re-created, 0 deleted, 8 unchanged, 0 extra/m);
});

it('updates a changed policy in place', async () => {
  writeFile({ limit: 3 });
  const result = await configure();
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    `update policy ${vhost} zocalo-delivery-limit (definition.delivery-limit: 5 on the broker, 3 in the file)\n`,
  );
  expect((await management.policiesIn(vhost))[0].definition).toEqual({ 'delivery-limit': 3 });
});

it('reports queues whose type changed, and re-creates them only with --prune --force', async () => {
  writeFile({ limit: 3, type: 'classic' });
  const reported = await configure();
  expect(reported.code).toBe(1);
  expect(reported.stdout).toContain(
    `differs queue ${vhost} zocalo.a (x-queue-type: quorum on the broker, classic in the file)\n`,
  );
  expect(reported.stdout).toMatch(/ 4 differing, /);
  expect(reported.stderr).toMatch(/--prune --force deletes and re-creates them/);
  const pruned = await configure('--prune');
  expect(pruned.code).toBe(1);
  expect((await queue('zocalo.a'))?.type).toBe('quorum');

  const forced = await configure('--prune', '--force');
  expect(forced.stderr).toBe('');
  expect(forced.code).toBe(0);
  expect(forced.stdout).toContain(
    `recreate queue ${vhost} zocalo.a (x-queue-type: quorum on the broker, classic in the file)\n`,
  );
  expect(forced.stdout).toContain(
    `create binding ${vhost} zocalo.fan -> zocalo.a with routing key zocalo.a\n`,
  );
  expect(await queue('zocalo.a')).toMatchObject({
    type: 'classic',
    arguments: { 'x-queue-type': 'classic' },
  });
  const bindings = await management.bindingsIn(vhost);
  expect(
    bindings.some((binding) => binding.source === 'zocalo.fan' && binding.destination === 'zocalo.a'),
  ).toBe(true);
  expect((await configure()).stdout).toMatch(/^0 created, .* 8 unchanged, 0 extra, 0 differing/m);
});

it('reports extra queues, and prunes an empty one but not one with messages unless forced', async () => {
  await declareExtra('extra.empty');
  await declareExtra('extra.full', 2);
  const reported = await configure();
  expect(reported.code).toBe(0);
  expect(reported.stdout).toContain(
    `extra queue ${vhost} extra.full (not in the file; --prune deletes it)\n`,
  );
  expect(reported.stdout).toMatch(/ 2 extra, /);

  const pruned = await configure('--prune');
  expect(pruned.code).toBe(1);
  expect(pruned.stdout).toContain(`delete queue ${vhost} extra.empty\n`);
  // Either the statistics already count the messages, or the broker refuses if-empty.
  expect(pruned.stdout).toMatch(
    new RegExp(
      `^(skip delete queue \\S+ extra\\.full \\(2 messages|delete queue \\S+ extra\\.full: failed: 400)`,
      'm',
    ),
  );
  expect(await queue('extra.empty')).toBeUndefined();
  expect(await queue('extra.full')).toBeDefined();

  const forced = await configure('--prune', '--force');
  expect(forced.code).toBe(0);
  expect(forced.stdout).toContain(`delete queue ${vhost} extra.full\n`);
  expect(await queue('extra.full')).toBeUndefined();
});

it('changes nothing with --dry-run', async () => {
  await declareExtra('extra.dry');
  writeFile({ limit: 4, type: 'classic' });
  const result = await configure('--prune', '--dry-run');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    `update policy ${vhost} zocalo-delivery-limit (definition.delivery-limit: 3`,
  );
  expect(result.stdout).toContain(`delete queue ${vhost} extra.dry\n`);
  expect(result.stdout).toMatch(
    /^dry run, nothing changed: 0 to create, 1 to update, 0 to re-create, 1 to delete/m,
  );
  expect((await management.policiesIn(vhost))[0].definition).toEqual({ 'delivery-limit': 3 });
  expect(await queue('extra.dry')).toBeDefined();
});

it('refuses a broken file with exit code 2, naming it', async () => {
  writeFileSync(file, 'groups:\n  - names: [zocalo.a\n');
  const broken = await configure('--prune');
  expect(broken.code).toBe(2);
  expect(broken.stdout).toBe('');
  expect(broken.stderr).toContain(`zocalo rabbitmq configure: ${file}:`);
  expect(broken.stderr).toContain('not valid YAML');

  writeFileSync(file, 'groups:\n  - names: [zocalo.a]\n    settings: {queues: {type: qorum}}\n');
  const invalid = await configure();
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toContain(`${file}:3:`);
  expect(invalid.stderr).toContain(
    'groups.0.settings.queues.type: must be one of "classic", "quorum", "stream", got "qorum"',
  );

  const missing = await zocalo(['rabbitmq', 'configure', join(dir, 'nope.yml'), ...API]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`cannot read ${join(dir, 'nope.yml')}: no such file`);
  expect(await queue('zocalo.a')).toBeDefined();
});

describe('configureRabbitmq, in code: vhosts, permissions and users of the file', () => {
  const own = uniqueName('zocalo-configure-vhost');
  const user = uniqueName('zocalo-configure-user');
  const usersDir = tempDirectory({
    'user.ini': `[rabbitmq]\nusername = ${user}\npassword = s3cret\ntags = monitoring\n`,
  });
  const vhostFile = join(dir, 'vhosts.yml');

  function writeVhostFile(description: string, read: string): void {
    writeFileSync(
      vhostFile,
      [
        `vhosts: [{name: ${own}, description: ${description}, tags: [zocalo]}]`,
        `permissions: [{user: ${user}, vhost: ${own}, configure: "^$", write: "^$", read: "${read}"}]`,
        'exchanges: []',
        `groups: [{names: [work], vhost: ${own}, settings: {queues: {type: quorum}}}]`,
        '',
      ].join('\n'),
    );
  }

  afterAll(async () => {
    await management.deleteVhost(own).catch(() => undefined);
    await management.deleteUser(user).catch(() => undefined);
  });

  it('creates the vhost, the user and its permission, then changes them in place', async () => {
    writeVhostFile('first', '.*');
    const output: string[] = [];
    const first = await configureRabbitmq({
      management,
      file: vhostFile,
      userConfig: usersDir,
      output: (line) => output.push(line),
    });
    expect(first.problem).toBeUndefined();
    expect(output).toEqual(
      expect.arrayContaining([
        `create user ${user}\n`,
        `create vhost ${own}\n`,
        `create permission ${own} ${user}\n`,
        `create queue ${own} work\n`,
      ]),
    );
    expect(await management.vhostInfo(own)).toMatchObject({ description: 'first', tags: ['zocalo'] });
    expect(await management.permission(own, user)).toMatchObject({
      configure: '^$',
      write: '^$',
      read: '.*',
    });
    expect(await management.user(user)).toMatchObject({ tags: ['monitoring'] });

    // A message waits in the vhost's queue: changing the vhost's metadata in place keeps it.
    await management.request('POST', management.pathIn('exchanges', own, 'amq.default', 'publish'), {
      properties: {},
      routing_key: 'work',
      payload: 'kept',
      payload_encoding: 'string',
    });
    writeVhostFile('second', '^work$');
    const second = await configureRabbitmq({ management, file: vhostFile, userConfig: usersDir });
    expect(second.problem).toBeUndefined();
    expect(
      second.outcomes.filter((outcome) => outcome.action.verb === 'update').map((outcome) => outcome.line),
    ).toEqual([
      `update vhost ${own} (description: first on the broker, second in the file)`,
      `update permission ${own} ${user} (read: ".*" on the broker, "^work$" in the file)`,
    ]);
    expect(await management.vhostInfo(own)).toMatchObject({ description: 'second' });
    expect(await management.permission(own, user)).toMatchObject({ read: '^work$' });
    const [kept] = (await management.request('POST', management.pathIn('queues', own, 'work', 'get'), {
      count: 1,
      ackmode: 'ack_requeue_false',
      encoding: 'auto',
    })) as { payload: string }[];
    expect(kept?.payload).toBe('kept');
  });
});
