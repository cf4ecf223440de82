import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBroker, uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import type { DlqFile } from '../src';
import {
  RabbitDlqWatcher,
  RabbitManagement,
  dlqPurge,
  dlqReinject,
  parseDlqFile,
  policyName,
  rabbitDlqCheck,
  rabbitProtect,
} from '../src';
import { RecordingLogger, sleep } from './helpers';

jest.setTimeout(60_000);

const management = new RabbitManagement();
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  await requireBroker('amqp');
});

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

async function declare(name: string, type: 'quorum' | 'classic'): Promise<void> {
  await management.request('PUT', management.path('queues', name), {
    durable: true,
    auto_delete: false,
    arguments: { 'x-queue-type': type },
  });
  cleanup.push(() => management.request('DELETE', management.path('queues', name)));
}

async function publish(queue: string, payload: string): Promise<void> {
  await management.request('POST', `${management.path('exchanges', 'amq.default')}/publish`, {
    properties: { headers: { 'zocalo-test': 'poison' } },
    routing_key: queue,
    payload,
    payload_encoding: 'string',
  });
}

interface GotMessage {
  readonly payload: string;
  readonly properties: { readonly headers?: Record<string, unknown> };
}

async function get(queue: string, ackmode: string): Promise<GotMessage[]> {
  const answer = await management.request('POST', `${management.path('queues', queue)}/get`, {
    count: 1,
    ackmode,
    encoding: 'auto',
  });
  return answer as GotMessage[];
}

describe('Schlockmeister on RabbitMQ (management API)', () => {
  it('protects quorum queues with a delivery-limit policy into dlq.<queue>, reports classic ones', async () => {
    const prefix = uniqueName('test.schlock.rabbit');
    const quorum = `${prefix}.quorum`;
    const classic = `${prefix}.classic`;
    await declare(quorum, 'quorum');
    await declare(classic, 'classic');
    cleanup.push(() => management.request('DELETE', management.path('queues', `dlq.${quorum}`)));
    cleanup.push(() => management.request('DELETE', management.path('policies', policyName(quorum))));

    const dry = await rabbitProtect(management, { include: [`${prefix}.*`], limit: 2, dryRun: true });
    expect(dry.sort((a, b) => a.queue.localeCompare(b.queue))).toEqual([
      { queue: classic, type: 'classic', status: 'unprotected-classic' },
      { queue: quorum, type: 'quorum', status: 'would-create', policy: policyName(quorum) },
    ]);

    const done = await rabbitProtect(management, { include: [`${prefix}.*`], limit: 2 });
    expect(done.find((report) => report.queue === quorum)?.status).toBe('created');

    const watcher = new RabbitDlqWatcher({
      management,
      include: [`dlq.${prefix}.*`],
      scanInterval: 0.2,
      logger: new RecordingLogger(),
    });
    expect(await watcher.scan()).toEqual([]);

    // The broker now quarantines by itself: a message requeued more than twice goes to dlq.<queue>.
    await publish(quorum, '{"poison": true}');
    let moved: GotMessage[] = [];
    for (let attempt = 0; attempt < 40 && moved.length === 0; attempt += 1) {
      await get(quorum, 'reject_requeue_true');
      await sleep(100);
      moved = await get(`dlq.${quorum}`, 'ack_requeue_true');
    }
    expect(moved).toHaveLength(1);
    expect(moved[0].payload).toBe('{"poison": true}');
    const death = moved[0].properties.headers?.['x-death'] as Array<Record<string, unknown>>;
    expect(death[0]).toMatchObject({ queue: quorum, reason: 'delivery_limit' });

    // The watcher logs the new arrival with its x-death history, once.
    const arrivals = await watcher.scan();
    expect(arrivals).toHaveLength(1);
    expect(arrivals[0].dlq).toBe(`dlq.${quorum}`);
    expect(arrivals[0].history[0]).toMatchObject({ queue: quorum, reason: 'delivery_limit', count: 1 });
    expect(arrivals[0].history[0].time).toMatch(/^\d{4}-/);
    expect(await watcher.scan()).toEqual([]);

    // Now protected: nothing more to create.
    await sleep(500);
    const again = await rabbitProtect(management, { include: [`${prefix}.*`], limit: 2 });
    expect(again.find((report) => report.queue === quorum)?.status).toBe('protected');

    // dlq check counts it (the management API's counts lag by up to ~5 s).
    let counts = await rabbitDlqCheck(management, [quorum]);
    for (let attempt = 0; attempt < 40 && counts[0]?.messages !== 1; attempt += 1) {
      await sleep(250);
      counts = await rabbitDlqCheck(management, [quorum]);
    }
    expect(counts).toEqual([{ queue: `dlq.${quorum}`, messages: 1 }]);

    // dlq purge over the AMQP transport: one file, original queue from x-death; reinject puts it back.
    const transport = new AmqpTransport({ logger: new RecordingLogger() });
    await transport.connect();
    const dir = await mkdtemp(join(tmpdir(), 'schlock-rabbit-'));
    try {
      const purged = await dlqPurge(transport, `dlq.${quorum}`, dir, { idleTimeout: 1.5 });
      expect(purged.files).toHaveLength(1);
      const saved = parseDlqFile(await readFile(purged.files[0], 'utf8'));
      expect(saved.originalQueue).toBe(quorum);
      expect(saved.body).toBe('{"poison": true}');
      expect(saved.header['zocalo-test']).toBe('poison');
      // python-zocalo's format: x-death a list at the top level of the header.
      expect(saved.header['x-death']).toEqual([
        expect.objectContaining({ queue: quorum, reason: 'delivery_limit' }),
      ]);

      const outcomes = await dlqReinject(transport, purged.files, { remove: true });
      expect(outcomes).toEqual([{ file: purged.files[0], status: 'sent', queue: quorum, removed: true }]);
      expect(existsSync(purged.files[0])).toBe(false);
      const back = await get(quorum, 'ack_requeue_false');
      expect(back.map((message) => message.payload)).toEqual(['{"poison": true}']);
      expect(back[0].properties.headers?.['zocalo-test']).toBe('poison');
      expect(back[0].properties.headers?.['dlq-reinjected']).toBe('True');
    } finally {
      await transport.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('purges a body that is not UTF-8 byte for byte over the AMQP transport', async () => {
    const dlq = `dlq.${uniqueName('test.schlock.rabbit.bytes')}`;
    await declare(dlq, 'quorum');
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x41]);
    await management.request('POST', `${management.path('exchanges', 'amq.default')}/publish`, {
      properties: { headers: { 'zocalo-test': 'bytes' } },
      routing_key: dlq,
      payload: bytes.toString('base64'),
      payload_encoding: 'base64',
    });
    const transport = new AmqpTransport({ logger: new RecordingLogger() });
    await transport.connect();
    const dir = await mkdtemp(join(tmpdir(), 'schlock-rabbit-bytes-'));
    try {
      const purged = await dlqPurge(transport, dlq, dir, { idleTimeout: 1 });
      expect(purged.files).toHaveLength(1);
      const saved = JSON.parse(await readFile(purged.files[0], 'utf8')) as DlqFile;
      expect(saved.bodyBase64).toBe(bytes.toString('base64'));
      expect(saved.header['zocalo-test']).toBe('bytes');
      // Back into the same queue, then read as the broker holds it.
      expect((await dlqReinject(transport, purged.files, { to: dlq }))[0].status).toBe('sent');
      const back = (await management.request('POST', `${management.path('queues', dlq)}/get`, {
        count: 1,
        ackmode: 'ack_requeue_false',
        encoding: 'base64',
      })) as Array<{ payload: string }>;
      expect(Buffer.from(back[0].payload, 'base64').equals(bytes)).toBe(true);
    } finally {
      await transport.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
