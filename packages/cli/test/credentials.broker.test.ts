/**
 * #23: credentials never appear in any output, on any path. A canary password is put in every place a
 * site puts one — site YAML (transport and `rabbitmqapi` blocks, a management URL with user info),
 * `--stomp-pass`, `--rabbit-pass`, `--rabbit-api-pass`, `--rabbit-api` URLs, INI credential files, a `jmx`
 * block, `--jolokia-url` URLs and `--jolokia-pass` —
 * and every command, and the service runtime, is run through its error paths (unreachable broker,
 * refused login, bad management or Jolokia URL, invalid site file) and, where the canary is the real password
 * of a RabbitMQ user made for the test, through its working path at debug level. The canary must not
 * appear in stdout, stderr, log records, GELF datagrams (a UDP listener stands in for Graylog) or
 * status broadcasts.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, inflateSync } from 'node:zlib';
import { RabbitManagement } from '@zocalo/schlockmeister';
import {
  BROKERS,
  BROKER_FLAGS,
  BROKER_SETTINGS,
  requireBroker,
  requireJolokia,
  uniqueName,
} from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';
import { FIXTURES, startZocalo, tempDirectory, zocalo } from './helpers';

jest.setTimeout(180_000);

const CANARY = `canary${randomBytes(8).toString('hex')}`;
const USER = uniqueName('zocalo-canary');
/** Where the canary must not be: what each output was, and its text. */
const outputs: Array<{ where: string; text: string }> = [];

let gelf: Socket;
let gelfPort = 0;
let listener: Transport | undefined;
let dir = '';
const management = new RabbitManagement();

function record(where: string, text: string): void {
  outputs.push({ where, text });
}

/** The text of a GELF datagram: zlib (graypy's), gzip or plain, a chunk's payload without its header. */
function gelfText(datagram: Buffer): string {
  const payload = datagram[0] === 0x1e && datagram[1] === 0x0f ? datagram.subarray(12) : datagram;
  if (payload[0] === 0x1f && payload[1] === 0x8b) return gunzipSync(payload).toString();
  // Sync flush: the first chunk of a chunked message is a stream cut short.
  return payload[0] === 0x78
    ? inflateSync(payload, { finishFlush: constants.Z_SYNC_FLUSH }).toString()
    : payload.toString();
}

/** A site file with the given blocks; `broker` and any `extra` block names are in its environment. */
function site(name: string, blocks: string, extra: readonly string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
${blocks}
graylog:
  plugin: graylog
  protocol: UDP
  host: 127.0.0.1
  port: ${gelfPort}
storage:
  plugin: storage
  zocalo.recipe_directory: ${join(FIXTURES, 'recipes')}
  zocalo.go.fallback_location: ${join(dir, 'fallback')}
environments:
  default: [${['broker', 'graylog', 'storage', ...extra].join(', ')}]
`,
  );
  return file;
}

async function run(where: string, args: readonly string[]): Promise<void> {
  // A service that does connect runs until it is killed: its start-up output is what is checked.
  const timeout = args[0] === 'service' ? 10_000 : 45_000;
  const finished = await zocalo(args, { env: { ZOCALO_LOG_LEVEL: 'debug' }, cwd: dir, timeout });
  record(`${where}: stdout`, finished.stdout);
  record(`${where}: stderr`, finished.stderr);
}

/** Run the command lines, a few at a time (each is a process of its own). */
async function runAll(jobs: ReadonlyArray<readonly [where: string, args: readonly string[]]>): Promise<void> {
  const queue = [...jobs];
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await run(job[0], job[1]);
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

beforeAll(async () => {
  await requireBroker('amqp');
  await requireBroker('stomp');
  dir = tempDirectory({ 'rabbitmq.yaml': 'policies: []\n' });
  writeFileSync(
    join(dir, 'rabbit.ini'),
    `[rabbit]\nhost = 127.0.0.1\nport = 5999\nusername = guest\npassword = ${CANARY}\n`,
  );
  writeFileSync(
    join(dir, 'stomp.ini'),
    `[stomp]\nhost = 127.0.0.1\nport = 61999\nusername = admin\npassword = ${CANARY}\n`,
  );
  gelf = createSocket('udp4');
  gelf.on('message', (datagram) => record('GELF datagram', gelfText(datagram)));
  await new Promise<void>((resolve) => gelf.bind(0, '127.0.0.1', () => resolve()));
  gelfPort = gelf.address().port;
  // A RabbitMQ user whose password is the canary: the working paths use it.
  await management.request('PUT', `/api/users/${encodeURIComponent(USER)}`, { password: CANARY, tags: '' });
  await management.request('PUT', `/api/permissions/%2F/${encodeURIComponent(USER)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  // Every status broadcast and shutdown command, as a dashboard would see them.
  listener = await createTransport('amqp', { ...BROKER_SETTINGS.amqp });
  await listener.connect();
  for (const topic of ['transient.status', 'command']) {
    await listener.subscribeBroadcast(topic, (_header, message) =>
      record(`broadcast on ${topic}`, JSON.stringify(message)),
    );
  }
});

afterAll(async () => {
  await listener?.disconnect();
  gelf?.close();
  await management.request('DELETE', `/api/users/${encodeURIComponent(USER)}`).catch(() => undefined);
});

const BROKER_COMMANDS: ReadonlyArray<readonly string[]> = [
  ['go', 'double', '-s', 'factor=2', '-s', 'value=1', '-s', 'prefix=zocalo.canary'],
  ['status', '--once', '--json', '--wait', '1'],
  ['shutdown', 'nobody.canary'],
  ['dlq', 'check', '--all'],
  ['dlq', 'purge', 'zocalo.canary.none', '--to', 'purged', '--wait', '0.5'],
  ['queue', 'drain', 'zocalo.canary.none', 'zocalo.canary.other', '--wait', '0.5'],
  ['pickup', '--dir', 'fallback', '--wait', '0', '--delay', '0'],
];

describe('the canary password appears in no output', () => {
  test('on RabbitMQ: every command and a service, working, unreachable, refused and with bad management URLs', async () => {
    const good = site(
      'amqp-good',
      `broker:\n  plugin: pika\n  host: 127.0.0.1\n  port: 5672\n  username: ${USER}\n  password: ${CANARY}\n` +
        `rabbitmqapi:\n  plugin: rabbitmqapi\n  base_url: http://127.0.0.1:15672/api\n  username: ${USER}\n  password: ${CANARY}\n`,
    );
    const unreachable = site(
      'amqp-unreachable',
      `broker:\n  plugin: pika\n  host: 127.0.0.1\n  port: 5999\n  username: guest\n  password: ${CANARY}\n`,
    );
    const refused = site(
      'amqp-refused',
      `broker:\n  plugin: pika\n  host: 127.0.0.1\n  port: 5672\n  username: guest\n  password: ${CANARY}\n` +
        `rabbitmqapi:\n  plugin: rabbitmqapi\n  base_url: http://guest:${CANARY}@127.0.0.1:15672\n  username: guest\n  password: ${CANARY}\n`,
    );
    const jobs: Array<readonly [string, readonly string[]]> = [];
    for (const command of BROKER_COMMANDS) {
      const name = command.slice(0, 2).join(' ');
      jobs.push([`${name} (working)`, [...command, '--config', good]]);
      jobs.push([`${name} (unreachable)`, [...command, '--config', unreachable]]);
      jobs.push([`${name} (refused)`, [...command, '--config', refused]]);
      jobs.push([
        `${name} (--rabbit-pass)`,
        [
          ...command,
          '-t',
          'amqp',
          '--rabbit-host',
          '127.0.0.1',
          '--rabbit-user',
          'guest',
          '--rabbit-pass',
          CANARY,
        ],
      ]);
      jobs.push([
        `${name} (--rabbit-conf)`,
        [...command, '-t', 'amqp', '--rabbit-conf', join(dir, 'rabbit.ini')],
      ]);
    }
    for (const api of [
      `http://guest:${CANARY}@127.0.0.1:1/api`,
      `http://guest:${CANARY}@127.0.0.1:15672`,
      `http://${USER}:${CANARY}@127.0.0.1:15672/api/`,
    ]) {
      for (const command of [
        ['dlq', 'check', '--all'],
        ['rabbitmq', 'configure', 'rabbitmq.yaml', '--dry-run'],
      ]) {
        jobs.push([
          `${command.slice(0, 2).join(' ')} --rabbit-api ${api.replace(CANARY, '<canary>')}`,
          [...command, '--config', good, '--rabbit-api', api],
        ]);
      }
    }
    jobs.push([
      'dlq check --rabbit-api-pass',
      ['dlq', 'check', '--config', good, '--rabbit-api-pass', CANARY],
    ]);
    jobs.push(['service (refused)', ['service', join(FIXTURES, 'idle-service.mjs'), '--config', refused]]);
    jobs.push([
      'service (unreachable)',
      ['service', join(FIXTURES, 'idle-service.mjs'), '--config', unreachable],
    ]);
    await runAll(jobs);

    // A working service at debug level: its logs, its GELF records and its status broadcasts.
    const service = startZocalo(['service', join(FIXTURES, 'idle-service.mjs'), '--config', good], {
      env: { ZOCALO_LOG_LEVEL: 'debug', FOOTPRINT_QUEUE: uniqueName('zocalo.canary.idle') },
      cwd: dir,
    });
    await service.waitFor(/service started/);
    await new Promise((resolve) => setTimeout(resolve, 7000)); // a status broadcast or two
    await run('shutdown (working)', ['shutdown', service.hostId, '--config', good]);
    const finished = await service.exited;
    record('running service: stdout', finished.stdout);
    record('running service: stderr', finished.stderr);

    expect(outputs.some((output) => output.where.startsWith('broadcast on transient.status'))).toBe(true);
    expect(outputs.some((output) => output.where === 'GELF datagram')).toBe(true);
    expectNoCanary();
  });

  test('on ActiveMQ and with an invalid site file', async () => {
    const refused = site(
      'stomp-refused',
      `broker:\n  plugin: stomp\n  host: 127.0.0.1\n  port: 61613\n  username: admin\n  password: ${CANARY}\n`,
    );
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(
      invalid,
      `version: 1\nbroker:\n  plugin: stomp\n  host: 127.0.0.1\n  port: not-a-port\n  password: ${CANARY}\n` +
        `environments:\n  default: [broker]\n`,
    );
    const jobs: Array<readonly [string, readonly string[]]> = [];
    for (const command of BROKER_COMMANDS) {
      const name = command.slice(0, 2).join(' ');
      jobs.push([`${name} (stomp refused)`, [...command, '--config', refused]]);
      jobs.push([
        `${name} (--stomp-pass)`,
        [
          ...command,
          '-t',
          'stomp',
          '--stomp-host',
          '127.0.0.1',
          '--stomp-user',
          'admin',
          '--stomp-pass',
          CANARY,
        ],
      ]);
      jobs.push([
        `${name} (--stomp-conf)`,
        [...command, '-t', 'stomp', '--stomp-conf', join(dir, 'stomp.ini')],
      ]);
      jobs.push([`${name} (invalid site file)`, [...command, '--config', invalid]]);
    }
    // The test broker takes any STOMP login (no authentication plugin), so this service connects.
    jobs.push([
      'service (stomp refused)',
      ['service', join(FIXTURES, 'idle-service.mjs'), '--config', refused],
    ]);
    jobs.push([
      'service (invalid site file)',
      ['service', join(FIXTURES, 'idle-service.mjs'), '--config', invalid],
    ]);
    // Jolokia (#23): a canary password in a jmx block, in --jolokia-url URLs and in --jolokia-pass.
    await requireJolokia();
    const { host, port, base_url, user } = BROKERS.jolokia;
    const jmxRefused = site(
      'stomp-jmx-refused',
      `broker:\n  plugin: stomp\n  host: 127.0.0.1\n  port: ${BROKERS.stomp.port}\n  username: admin\n  password: password\n` +
        `jmx:\n  plugin: jmx\n  host: ${host}\n  port: ${port}\n  base_url: ${base_url}\n  username: ${user}\n  password: ${CANARY}\n`,
      ['jmx'],
    );
    for (const command of [
      ['dlq', 'check', '--all'],
      ['dlq', 'purge', 'zocalo.canary.none', '--to', 'purged', '--wait', '0.5'],
      ['queue', 'drain', 'zocalo.canary.none', 'zocalo.canary.other', '--wait', '0.5'],
    ]) {
      jobs.push([`${command.slice(0, 2).join(' ')} (jmx refused)`, [...command, '--config', jmxRefused]]);
    }
    for (const url of [
      `http://${user}:${CANARY}@${host}:${port}/${base_url}`,
      `http://${user}:${CANARY}@127.0.0.1:1/${base_url}`,
      `http://${user}:${CANARY}@${host}:${port}/not-jolokia`,
      `not a url ${CANARY}`,
    ]) {
      jobs.push([
        `dlq check --jolokia-url ${url.replace(CANARY, '<canary>')}`,
        ['dlq', 'check', '--all', ...BROKER_FLAGS.stomp, '--jolokia-url', url],
      ]);
    }
    jobs.push([
      'dlq check --jolokia-pass',
      [
        'dlq',
        'check',
        ...BROKER_FLAGS.stomp,
        '--jolokia-url',
        BROKERS.jolokia.url,
        '--jolokia-user',
        user,
        '--jolokia-pass',
        CANARY,
      ],
    ]);
    await runAll(jobs);
    // The refused Jolokia login was reported as such, without the password.
    expect(outputs.find((output) => output.where === 'dlq check (jmx refused): stderr')?.text).toMatch(
      /Jolokia at .* refused the login/,
    );
    // The unreachable broker was reported, without the password.
    expect(outputs.find((output) => output.where === 'dlq check (--stomp-conf): stderr')?.text).toMatch(
      /cannot reach|ECONNREFUSED/,
    );
    expectNoCanary();
  });
});

function expectNoCanary(): void {
  const leaks = outputs
    .filter((output) => output.text.includes(CANARY))
    .map((output) => `${output.where}: ${output.text.replaceAll(CANARY, '<CANARY>').slice(0, 400)}`);
  expect(leaks).toEqual([]);
}
