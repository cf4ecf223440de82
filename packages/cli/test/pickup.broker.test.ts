/**
 * `zocalo pickup` with the built bin on both real brokers: requests stored by `zocalo go --drop` (and a
 * python-zocalo-style file) are sent oldest first with their headers and removed only once sent; a
 * file that is not a stored request is reported and left in place; nothing is sent on --dry-run.
 */
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerKind } from '@zocalo/test-brokers';
import { requireBroker, uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { ReceivedHeaders, Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { tempDirectory, until, zocalo } from './helpers';

jest.setTimeout(60_000);

const FLAGS: Record<BrokerKind, string[]> = {
  stomp: ['-t', 'stomp', '--stomp-host', '127.0.0.1', '--stomp-port', '61613'],
  amqp: ['-t', 'amqp', '--rabbit-host', '127.0.0.1', '--rabbit-port', '5672'],
};

function transportFor(kind: BrokerKind): Transport {
  const logger = new RecordingLogger();
  return kind === 'stomp'
    ? new StompTransport({ host: '127.0.0.1', port: 61613, logger })
    : new AmqpTransport({ host: '127.0.0.1', port: 5672, logger });
}

/** A site file whose fallback location is `fallback`, on the broker `kind`. */
function siteFor(kind: BrokerKind, fallback: string): string {
  const transport =
    kind === 'stomp'
      ? 'broker:\n  plugin: stomp\n  host: 127.0.0.1\n  port: 61613\n'
      : 'broker:\n  plugin: pika\n  host: 127.0.0.1\n  port: 5672\n';
  const dir = tempDirectory({
    'site.yml':
      `version: 1\n${transport}storage:\n  plugin: storage\n  zocalo.go.fallback_location: ${fallback}\n` +
      'environments:\n  default: [broker, storage]\n',
  });
  return join(dir, 'site.yml');
}

describe.each(['stomp', 'amqp'] as const)('zocalo pickup on %s', (kind) => {
  beforeAll(() => requireBroker(kind));

  it('sends what zocalo go --drop stored, oldest first, with its headers, and removes only what was sent', async () => {
    const queue = uniqueName('test.cli.pickup');
    const fallback = tempDirectory();
    const env = { ZOCALO_CONFIG: siteFor(kind, fallback) };
    // Two requests stored by `zocalo go --drop`, made older than a third, python-zocalo-style file.
    for (const value of ['1', '2']) {
      const drop = await zocalo(['go', 'double', '-p', `value=${value}`, '--drop'], {
        env,
      });
      expect(drop.code).toBe(0);
    }
    const dropped = readdirSync(fallback);
    expect(dropped).toHaveLength(2);
    const age = (name: string, secondsAgo: number): void => {
      const when = new Date(Date.now() - secondsAgo * 1000);
      utimesSync(join(fallback, name), when, when);
    };
    // Request "1" the oldest, then "2", whatever their (random) file names.
    for (const name of dropped) {
      const stored = JSON.parse(readFileSync(join(fallback, name), 'utf8')) as {
        message: { parameters: { value: string } };
      };
      age(name, stored.message.parameters.value === '1' ? 30 : 20);
    }
    writeFileSync(
      join(fallback, 'from-python'),
      // As Python's json.dump writes it, NaN included.
      '{"headers": {"zocalo.go.user": "someone", "zocalo.go.host": "ws001.diamond.ac.uk"}, ' +
        '"message": {"recipes": ["example"], "parameters": {"ispyb_dcid": 1, "resolution": NaN}}}',
    );
    age('from-python', 10);
    writeFileSync(join(fallback, 'broken.json'), '{"message": ');

    const dry = await zocalo(['pickup', '--dry-run', '--queue', queue], { env });
    expect(dry.stdout).toMatch(/^would send 3 requests to .*; 1 invalid file left in place$/m);
    expect(readdirSync(fallback)).toHaveLength(4);

    const consumer = transportFor(kind);
    await consumer.connect();
    try {
      const got: Array<{ header: ReceivedHeaders; message: Record<string, unknown> }> = [];
      await consumer.subscribe(
        queue,
        (header, message) => void got.push({ header, message: message as Record<string, unknown> }),
      );
      const pickup = await zocalo(['pickup', '--wait', '0', '--delay', '0', '--queue', queue], { env });
      expect(pickup.code).toBe(1);
      expect(pickup.stdout).toMatch(/^Found 4 files$/m);
      expect(pickup.stdout).toMatch(/^Done \(3 of 3\)$/m);
      expect(pickup.stdout).toMatch(
        new RegExp(`^sent 3 requests to ${queue}; 1 invalid file left in place$`, 'm'),
      );
      expect(pickup.stderr).toContain(
        `${join(fallback, 'broken.json')}: not valid JSON; it is left in place`,
      );
      await until(() => got.length === 3);
      // Oldest first: the two dropped requests (value 1, then 2), then the Python file.
      expect(
        got.map(({ message }) => (message.parameters as Record<string, unknown>).value ?? 'python'),
      ).toEqual(['1', '2', 'python']);
      expect(got[2].header['zocalo.go.host']).toBe('ws001.diamond.ac.uk');
      expect(got[2].message.parameters).toEqual({ ispyb_dcid: 1, resolution: NaN });
      expect(typeof got[0].header['zocalo.go.user']).toBe('string');
      expect(readdirSync(fallback)).toEqual(['broken.json']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('sends a file a killed pickup had claimed, and skips none', async () => {
    const queue = uniqueName('test.cli.pickup');
    const fallback = tempDirectory();
    writeFileSync(
      join(fallback, 'request.sending-4711'),
      JSON.stringify({ headers: {}, message: { recipes: ['left-behind'] } }),
    );
    const consumer = transportFor(kind);
    await consumer.connect();
    try {
      const got: unknown[] = [];
      await consumer.subscribe(queue, (_header, message) => void got.push(message));
      const pickup = await zocalo([
        'pickup',
        '--dir',
        fallback,
        '--wait',
        '0',
        '--queue',
        queue,
        ...FLAGS[kind],
      ]);
      expect(pickup.code).toBe(0);
      await until(() => got.length === 1);
      expect(got).toEqual([{ recipes: ['left-behind'] }]);
      expect(readdirSync(fallback)).toEqual([]);
    } finally {
      await consumer.disconnect();
    }
  });

  it('keeps every file when the broker cannot be reached', async () => {
    const fallback = tempDirectory();
    writeFileSync(join(fallback, 'request'), JSON.stringify({ headers: {}, message: { recipes: ['x'] } }));
    const port = kind === 'stomp' ? ['--stomp-port', '1'] : ['--rabbit-port', '1'];
    const pickup = await zocalo(['pickup', '--dir', fallback, '--wait', '0', ...FLAGS[kind], ...port]);
    expect(pickup.code).toBe(1);
    expect(pickup.stderr).toMatch(/^zocalo pickup: cannot connect to the/m);
    expect(existsSync(join(fallback, 'request'))).toBe(true);
  });
});

describe('zocalo pickup, bad input', () => {
  it('says when there is no fallback location, and exits 0 when it is empty', async () => {
    const none = await zocalo(['pickup', '-t', 'memory']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give --dir or storage zocalo.go.fallback_location');
    const empty = await zocalo(['pickup', '--dir', tempDirectory(), '-t', 'memory']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('Found 0 files\n');
    const wait = await zocalo(['pickup', '--dir', tempDirectory(), '--wait', 'soon', '-t', 'memory']);
    expect(wait.code).toBe(2);
  });
});
