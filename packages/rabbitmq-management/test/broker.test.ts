/**
 * Every query against the real RabbitMQ of `scripts/brokers.sh`, in a vhost of its own that the test
 * creates and deletes, with a user of its own whose password hash `hashPassword` made: the broker takes
 * that user's password on the management API and over AMQP, so the hash is the one RabbitMQ would store.
 */
import { BROKERS, requireBroker, uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { LoginRefusedError } from '@zocalo/workflows';
import { RabbitManagement, RabbitManagementError, hashPassword, passwordMatches } from '../src';

jest.setTimeout(60_000);

const management = new RabbitManagement({
  url: BROKERS.management.url,
  username: BROKERS.management.user,
  password: BROKERS.management.pass,
});
const vhost = uniqueName('zocalo-management');
const user = uniqueName('zocalo-user');
const password = 'pässwörd with spaces ☃';

beforeAll(async () => {
  await requireBroker('amqp');
  await management.putVhost({ name: vhost, description: 'a test vhost', tags: ['test', 'zocalo'] });
  await management.setPermission({
    user: BROKERS.management.user,
    vhost,
    configure: '.*',
    write: '.*',
    read: '.*',
  });
});

afterAll(async () => {
  await management.deleteVhost(vhost).catch(() => undefined);
  await management.deleteUser(user).catch(() => undefined);
});

it('runs python-zocalo’s health checks', async () => {
  const { passed, failed } = await management.healthChecks();
  expect(failed).toEqual({});
  expect(Object.keys(passed).sort()).toEqual([
    'health/checks/alarms',
    'health/checks/certificate-expiration/1/months',
    'health/checks/local-alarms',
    'health/checks/node-is-mirror-sync-critical',
    'health/checks/node-is-quorum-critical',
    'health/checks/port-listener/5672',
    'health/checks/protocol-listener/amqp',
    'health/checks/virtual-hosts',
  ]);
  expect(passed['health/checks/alarms']).toEqual({ status: 'ok' });
  // A failing check answers 503 with the broker's reason, and is reported rather than thrown.
  const nobody = await management.checkPortListener(1);
  expect(nobody).toMatchObject({ ok: false, status: 503, answer: { status: 'failed', missing: 1 } });
  expect((await management.healthChecks({ port: 1 })).failed).toHaveProperty('health/checks/port-listener/1');
});

it('reads the overview, nodes and connections', async () => {
  expect(await management.exchangeTypes()).toEqual(
    expect.arrayContaining(['direct', 'fanout', 'headers', 'topic']),
  );
  const [node, ...others] = await management.nodes();
  expect(others).toEqual([]);
  expect(node).toMatchObject({ running: true });
  expect(await management.node(node.name)).toMatchObject({ name: node.name, running: true });

  const transport = new AmqpTransport({ host: BROKERS.amqp.host, port: BROKERS.amqp.port, vhost });
  await transport.connect();
  try {
    let mine: Awaited<ReturnType<RabbitManagement['connections']>> = [];
    // The connection list is the statistics database's: it lags by up to a few seconds.
    for (let tries = 0; tries < 50 && mine.length === 0; tries += 1) {
      mine = (await management.connections()).filter((connection) => connection.vhost === vhost);
      if (mine.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The AMQP transport publishes and consumes on connections of their own.
    expect(mine.length).toBeGreaterThan(0);
    for (const connection of mine) expect(connection).toMatchObject({ user: BROKERS.management.user, vhost });
    expect(await management.connection(mine[0].name)).toMatchObject({ name: mine[0].name, vhost });
  } finally {
    await transport.disconnect();
  }
});

it('creates a vhost with its metadata, and changes it in place', async () => {
  expect(await management.vhostNames()).toContain(vhost);
  expect(await management.vhostInfo(vhost)).toMatchObject({
    name: vhost,
    description: 'a test vhost',
    tags: ['test', 'zocalo'],
    tracing: false,
  });
  await management.declareQueue({ vhost, name: 'kept', durable: true });
  await management.putVhost({ name: vhost, description: 'changed', tags: [], tracing: true });
  expect(await management.vhostInfo(vhost)).toMatchObject({
    description: 'changed',
    tags: [],
    tracing: true,
  });
  expect(await management.queue(vhost, 'kept')).toMatchObject({ name: 'kept', durable: true });
  expect(await management.vhostInfo(uniqueName('no-such-vhost'))).toBeUndefined();
});

it('creates a user with a hash of hashPassword, which the broker takes the password for', async () => {
  const hash = hashPassword(password);
  await management.putUser({ name: user, password_hash: hash, tags: ['management', 'monitoring'] });
  const stored = await management.user(user);
  expect(stored).toMatchObject({
    name: user,
    password_hash: hash,
    hashing_algorithm: 'rabbit_password_hashing_sha256',
  });
  expect([...(stored?.tags ?? [])].sort()).toEqual(['management', 'monitoring']);
  expect(passwordMatches(password, stored!.password_hash)).toBe(true);
  expect((await management.users()).map((entry) => entry.name)).toContain(user);

  // The management API logs the user in with that password, and refuses another.
  const asUser = new RabbitManagement({ url: BROKERS.management.url, username: user, password });
  expect(await asUser.whoami()).toEqual({
    name: user,
    tags: expect.arrayContaining(['management', 'monitoring']),
  });
  const wrong = new RabbitManagement({
    url: BROKERS.management.url,
    username: user,
    password: `${password}!`,
  });
  await expect(wrong.whoami()).rejects.toMatchObject({ status: 401 });
  await expect(wrong.whoami()).rejects.toBeInstanceOf(RabbitManagementError);

  // So does AMQP, once the user may use the vhost.
  await management.setPermission({ user, vhost, configure: '^$', write: '^$', read: '.*' });
  const transport = new AmqpTransport({
    host: BROKERS.amqp.host,
    port: BROKERS.amqp.port,
    username: user,
    password,
    vhost,
  });
  await transport.connect();
  await transport.disconnect();
  const refused = new AmqpTransport({
    host: BROKERS.amqp.host,
    port: BROKERS.amqp.port,
    username: user,
    password: 'wrong',
    vhost,
    reconnect: false,
  });
  await expect(refused.connect()).rejects.toBeInstanceOf(LoginRefusedError);
});

it('sets, reads and clears permissions', async () => {
  expect(await management.permission(vhost, user)).toMatchObject({
    configure: '^$',
    write: '^$',
    read: '.*',
  });
  await management.setPermission({ user, vhost, configure: '^zocalo\\.', write: '.*', read: '.*' });
  expect((await management.permissionsIn(vhost)).map((entry) => entry.user).sort()).toEqual(
    [BROKERS.management.user, user].sort(),
  );
  expect(await management.permissionsOf(user)).toEqual([
    { user, vhost, configure: '^zocalo\\.', write: '.*', read: '.*' },
  ]);
  expect((await management.permissions()).filter((entry) => entry.user === user)).toHaveLength(1);
  await management.clearPermission(vhost, user);
  expect(await management.permission(vhost, user)).toBeUndefined();
  await management.deleteUser(user);
  expect(await management.user(user)).toBeUndefined();
});

it('declares, lists and deletes policies, queues, exchanges and bindings', async () => {
  await management.putPolicy({
    vhost,
    name: 'limit',
    pattern: '^q\\.',
    'apply-to': 'queues',
    definition: { 'delivery-limit': 3 },
  });
  expect(await management.policy(vhost, 'limit')).toMatchObject({
    vhost,
    name: 'limit',
    priority: 0,
    definition: { 'delivery-limit': 3 },
  });
  expect(
    (await management.allPolicies()).some((policy) => policy.vhost === vhost && policy.name === 'limit'),
  ).toBe(true);

  await management.declareQueue({
    vhost,
    name: 'q.one',
    durable: true,
    arguments: { 'x-queue-type': 'quorum' },
  });
  expect(await management.queue(vhost, 'q.one')).toMatchObject({
    type: 'quorum',
    durable: true,
    auto_delete: false,
  });
  expect(
    (await management.allQueues()).some((queue) => queue.vhost === vhost && queue.name === 'q.one'),
  ).toBe(true);
  // A declaration that leaves durable out gets the broker's default, as python-zocalo's exchanges do.
  await management.declareExchange({ vhost, name: 'topics', type: 'topic' });
  expect(await management.exchange(vhost, 'topics')).toMatchObject({
    type: 'topic',
    durable: false,
    auto_delete: false,
  });
  expect(await management.exchange(vhost, '')).toMatchObject({ name: '', type: 'direct' });
  await management.declareBinding({
    vhost,
    source: 'topics',
    destination: 'q.one',
    destination_type: 'queue',
    routing_key: 'a.#',
    arguments: {},
  });
  const [binding, ...more] = await management.bindingsBetween(vhost, 'topics', 'q.one', 'queue');
  expect(more).toEqual([]);
  expect(binding).toMatchObject({
    source: 'topics',
    destination: 'q.one',
    routing_key: 'a.#',
    properties_key: 'a.%23',
  });
  expect((await management.allBindings()).filter((entry) => entry.vhost === vhost)).toHaveLength(3); // and the default exchange's to q.one and kept

  // The broker's refusal carries its reason; python-zocalo's plugin-less delayed exchange is refused so.
  const refused = await management
    .declareExchange({
      vhost,
      name: 'delayed',
      type: 'x-delayed-message',
      arguments: { 'x-delayed-type': 'direct' },
    })
    .catch((error: unknown) => error);
  if (!(await management.exchangeTypes()).includes('x-delayed-message')) {
    expect(refused).toBeInstanceOf(RabbitManagementError);
    expect(refused).toMatchObject({ status: 400, reason: "unknown exchange type 'x-delayed-message'" });
  }

  await management.deleteBinding(binding);
  expect(await management.bindingsBetween(vhost, 'topics', 'q.one', 'queue')).toEqual([]);
  await management.deleteExchange(vhost, 'topics', { ifUnused: true });
  expect(await management.exchange(vhost, 'topics')).toBeUndefined();
  await management.deleteQueue(vhost, 'q.one');
  expect(await management.queue(vhost, 'q.one')).toBeUndefined();
  await management.deletePolicy(vhost, 'limit');
  expect(await management.policiesIn(vhost)).toEqual([]);
});

it('picks the first management API that answers', async () => {
  const picked = await RabbitManagement.firstAnswering(`http://127.0.0.1:1,${BROKERS.management.url}`, {
    username: BROKERS.management.user,
    password: BROKERS.management.pass,
  });
  expect(picked.url).toBe(BROKERS.management.url);
});
