/**
 * python-zocalo's dead-letter and drain command lines, as the installed executables, on ActiveMQ and
 * RabbitMQ: messages dead-lettered for real (rejected by a consumer), counted by `zocalo.dlq_check -n`,
 * written to files by `zocalo.dlq_purge --wait --location QUEUE`, sent back by `zocalo.dlq_reinject -r
 * -w` reading the purge's output on standard input (and `-d`, `-v`), and moved by
 * `zocalo.queue_drain SRC DEST --wait --stop` and `SRC .`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerKind } from '@zocalo/test-brokers';
import {
  BROKER_FLAGS,
  BROKER_SETTINGS,
  rabbitManagement,
  requireBroker,
  uniqueName,
} from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { MessageBody, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { pythonZocalo, sleep, tempDirectory, until } from './helpers';

jest.setTimeout(60_000);

function transportFor(kind: BrokerKind): Transport {
  const logger = new RecordingLogger();
  return kind === 'stomp'
    ? new StompTransport({ ...BROKER_SETTINGS.stomp, logger })
    : new AmqpTransport({ ...BROKER_SETTINGS.amqp, logger });
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe.each(['stomp', 'amqp'] as const)('python-zocalo dead-letter command lines on %s', (kind) => {
  const flags = BROKER_FLAGS[kind];
  let client: Transport;

  beforeAll(async () => {
    await requireBroker(kind);
    client = transportFor(kind);
    await client.connect();
  });

  const made: string[] = [];

  afterAll(async () => {
    await client.disconnect();
    if (kind === 'amqp') for (const queue of made) await rabbitManagement.deleteQueue(queue);
  });

  /** Messages arriving on `queue` from now on (declaring it, on RabbitMQ). */
  async function collect(
    queue: string,
  ): Promise<{ got: Array<{ header: ReceivedHeaders; body: MessageBody }>; stop: () => Promise<void> }> {
    made.push(queue, `dlq.${queue}`);
    const got: Array<{ header: ReceivedHeaders; body: MessageBody }> = [];
    const id = await client.subscribe(queue, (header, body) => void got.push({ header, body }));
    return { got, stop: () => client.unsubscribe(id) };
  }

  /** Send `bodies` to `queue` and reject each, so that the broker dead-letters them (DLQ./dlq.<queue>). */
  async function deadLetter(queue: string, bodies: readonly MessageBody[]): Promise<void> {
    made.push(queue, `dlq.${queue}`);
    let rejected = 0;
    const id = await client.subscribe(
      queue,
      async (header) => {
        await client.nack(header);
        rejected += 1;
      },
      { acknowledgement: true },
    );
    for (const body of bodies) await client.send(queue, body);
    await until(() => rejected >= bodies.length);
    await client.unsubscribe(id);
  }

  it('zocalo.dlq_check -n, zocalo.dlq_purge --wait --location QUEUE, zocalo.dlq_reinject -r -w from stdin', async () => {
    // No "dlq." inside the name: Python's check takes every one out of the name it prints.
    const namespace = uniqueName('pydead');
    const queue = `${namespace}.q`;
    await deadLetter(queue, [{ n: 1 }, { n: 2 }]);
    const dlqName = kind === 'stomp' ? `DLQ.${queue}` : `dlq.${queue}`;

    // RabbitMQ's counts lag (its statistics timer): asked again until they show.
    const checkArgs = kind === 'stomp' ? ['-n', namespace] : ['-n', '/'];
    let check = await pythonZocalo('zocalo.dlq_check', [...checkArgs, ...flags]);
    for (
      let tries = 0;
      !check.stdout.includes(`DLQ for ${queue} contains 2 entries`) && tries < 12;
      tries++
    ) {
      await sleep(1000);
      check = await pythonZocalo('zocalo.dlq_check', [...checkArgs, ...flags]);
    }
    expect(check.stdout).toContain(`DLQ for ${queue} contains 2 entries\n`);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(
      kind === 'stomp' ? /^Total of 2 DLQ messages found\n$/ : /^Total of \d+ DLQ messages found\n$/,
    );
    if (kind === 'amqp') {
      // Without -n, Python looks at the vhost "zocalo" only.
      const zocaloVhost = await pythonZocalo('zocalo.dlq_check', flags);
      expect(zocaloVhost.stdout).not.toContain(queue);
    }

    const dir = tempDirectory();
    const purge = await pythonZocalo('zocalo.dlq_purge', ['--wait', '1', '--location', dir, queue, ...flags]);
    expect(purge.stderr).toBe('');
    expect(purge.code).toBe(0);
    expect(purge.stdout).toMatch(
      new RegExp(
        `^Looking for DLQ messages in ${(kind === 'stomp' ? queue : dlqName).replaceAll('.', '\\.')}\n`,
      ),
    );
    expect(purge.stdout.match(/exported:\n {2}\//g)).toHaveLength(2);
    expect(purge.stdout).toMatch(/\nDone\.\n$/);
    const files = filesUnder(dir);
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(file).toMatch(/^\d{4}-\d\d-\d\d\/msg-\d{8}-\d{6}-\d{3}-/);
      const saved = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { header: object; message: unknown };
      expect(Object.keys(saved).sort()).toEqual(['exported', 'header', 'message']);
    }

    const back = await collect(queue);
    try {
      const reinject = await pythonZocalo('zocalo.dlq_reinject', ['-r', '-w', '0.1', ...flags], {
        input: purge.stdout,
      });
      expect(reinject.stderr).toBe('');
      expect(reinject.code).toBe(0);
      expect(reinject.stdout).toMatch(/^2 filenames read from stdin\nParsing message from \//);
      expect(reinject.stdout).toContain(kind === 'stomp' ? 'sending...\n' : 'pika transport detected\n');
      expect(reinject.stdout.match(/Done\.\n\n/g)).toHaveLength(2);
      await until(() => back.got.length >= 2);
      expect(
        back.got
          .map((entry) => entry.body)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      ).toEqual([{ n: 1 }, { n: 2 }]);
      for (const entry of back.got) expect(entry.header['dlq-reinjected']).toBe('True');
      expect(filesUnder(dir)).toEqual([]);
    } finally {
      await back.stop();
    }
  });

  // ActiveMQ only: RabbitMQ has no STOMP prefix (its no-queue purge takes every dlq.* queue).
  if (kind === 'stomp')
    it('zocalo.dlq_purge without queues: DLQ.zocalo.* under the STOMP prefix', async () => {
      // A prefix of its own (a later --stomp-prfx wins over Python's DLQ), so that only this test's are taken.
      const prefix = `DLQ.${uniqueName('pyall')}`;
      await client.send(`${prefix}.zocalo.a`, { q: 'a' }, { persistent: true });
      await client.send(`${prefix}.zocalo.b.c`, { q: 'b.c' }, { persistent: true });
      await client.send(`${prefix}.other`, { q: 'other' }, { persistent: true });
      const dir = tempDirectory();
      const purge = await pythonZocalo('zocalo.dlq_purge', [
        '--stomp-prfx',
        prefix,
        '--wait',
        '1',
        '--location',
        dir,
        ...flags,
      ]);
      expect(purge.stderr).toBe('');
      expect(purge.code).toBe(0);
      expect(purge.stdout).toMatch(/^Looking for DLQ messages in zocalo\.>\n/);
      expect(filesUnder(dir)).toHaveLength(2);
      const left = await collect(`${prefix}.other`);
      try {
        await until(() => left.got.length >= 1);
        expect(left.got.map((entry) => entry.body)).toEqual([{ q: 'other' }]);
      } finally {
        await left.stop();
      }
    });

  it('zocalo.dlq_reinject -v -d DEST FILE keeps the file', async () => {
    const queue = uniqueName('pydead.d');
    await deadLetter(queue, [{ to: 'elsewhere' }]);
    const dir = tempDirectory();
    const purge = await pythonZocalo('zocalo.dlq_purge', ['--wait', '1', '--location', dir, queue, ...flags]);
    expect(purge.code).toBe(0);
    const [file] = filesUnder(dir);
    const other = await collect(`${queue}.other`);
    try {
      const reinject = await pythonZocalo('zocalo.dlq_reinject', [
        '-v',
        '-d',
        `${queue}.other`,
        join(dir, file),
        ...flags,
      ]);
      expect(reinject.stderr).toBe('');
      expect(reinject.code).toBe(0);
      expect(reinject.stdout).toContain("'message': {'to': 'elsewhere'}");
      await until(() => other.got.length >= 1);
      expect(other.got.map((entry) => entry.body)).toEqual([{ to: 'elsewhere' }]);
      expect(filesUnder(dir)).toEqual([file]);
    } finally {
      await other.stop();
    }
  });

  it('zocalo.queue_drain SRC DEST --wait --stop, and SRC . for recipe messages', async () => {
    const source = uniqueName('pydrain');
    const step = `${source}.step`;
    const recipe = {
      recipe: { '1': { service: 'Step', queue: step }, start: [[1, []]] },
      'recipe-pointer': 1,
      'recipe-path': [],
      environment: { ID: 'f3b4c2a0-0000-4000-8000-000000000002' },
      payload: { x: 1 },
    };
    // Declared (RabbitMQ refuses a send to no queue) and then left alone.
    await (await collect(source)).stop();
    const dest = await collect(`${source}.to`);
    const next = await collect(step);
    try {
      await client.send(source, { n: 1 });
      await client.send(source, { n: 2 });
      const drain = await pythonZocalo('zocalo.queue_drain', [
        source,
        `${source}.to`,
        '--wait',
        '0.1',
        '--stop',
        '1',
        ...flags,
      ]);
      expect(drain.stderr).toBe('');
      expect(drain.code).toBe(0);
      expect(drain.stdout).toMatch(/^Reading messages from \S+\nWriting messages to \S+\.to\n/);
      expect(drain.stdout).toMatch(
        / {3}2 message\(s\) drained in \d+\.\d seconds\n2 message\(s\) drained, no message seen for 1\.\d seconds\n$/,
      );
      await until(() => dest.got.length >= 2);
      expect(dest.got.map((entry) => entry.body)).toEqual([{ n: 1 }, { n: 2 }]);

      await client.send(source, recipe);
      const routed = await pythonZocalo('zocalo.queue_drain', [
        source,
        '.',
        '--wait=0',
        '--stop=1',
        ...flags,
      ]);
      expect(routed.code).toBe(0);
      expect(routed.stdout).toContain('Writing messages to automatically determined destinations\n');
      expect(routed.stdout).toContain(
        `Recipe ID:    f3b4c2a0-0000-4000-8000-000000000002\nTarget Queue: ${step}\n`,
      );
      await until(() => next.got.length >= 1);
      expect(next.got.map((entry) => entry.body)).toEqual([recipe]);
    } finally {
      await dest.stop();
      await next.stop();
    }
  });
});
