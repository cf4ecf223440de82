import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { ServiceRuntime } from '@zocalo/workflows';
import { requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { StompTransport } from '@zocalo/transport-stomp';
import type { DlqFile, QuarantinedMessage } from '../src';
import {
  Schlockmeister,
  activemqDlqCheck,
  countByHolding,
  schlockmeisterService,
  dlqPurge,
  dlqReinject,
  parseDlqFile,
  queueDrain,
} from '../src';
import { RecordingLogger, sleep, stompTransport, waitFor } from './helpers';

jest.setTimeout(90_000);

const open: StompTransport[] = [];
const started: Schlockmeister[] = [];

function transport(logger = new RecordingLogger()): StompTransport {
  const created = stompTransport(logger);
  open.push(created);
  return created;
}

beforeAll(async () => {
  await requireBroker('stomp');
});

afterEach(async () => {
  for (const schlockmeister of started.splice(0)) await schlockmeister.stop();
  for (const connection of open.splice(0)) await connection.disconnect();
});

interface Job {
  readonly n: number;
  readonly poison?: boolean;
  readonly fixed?: boolean;
}

describe('Schlockmeister on ActiveMQ', () => {
  it('quarantines a message a consumer keeps releasing into DLQ.<queue>, once, while other messages flow', async () => {
    const queue = uniqueName('test.schlock');
    const logger = new RecordingLogger();
    const caught: QuarantinedMessage[] = [];
    // Two Schlockmeisters on one queue: competing consumers, so the poison is quarantined by one only.
    for (let i = 0; i < 2; i += 1) {
      const schlockmeister = new Schlockmeister({
        transport: transport(),
        queues: [queue],
        discover: false,
        logger,
        onQuarantine: (message) => caught.push(message),
      });
      await schlockmeister.start();
      started.push(schlockmeister);
    }

    // The "crashing" service: releases the poison message for redelivery every time it sees it.
    const service = transport();
    await service.connect();
    const processed: number[] = [];
    let poisonSeen = 0;
    await service.subscribe(
      queue,
      async (header: ReceivedHeaders, message: unknown) => {
        const job = message as Job;
        if (job.poison) {
          poisonSeen += 1;
          await service.nack(header, { requeue: true });
          return;
        }
        processed.push(job.n);
        await service.ack(header);
      },
      { acknowledgement: true, prefetch: 1 },
    );

    const producer = transport();
    await producer.connect();
    await producer.send(queue, { n: 0, poison: true }, { headers: { 'zocalo-test': 'poison' } });
    for (let n = 1; n <= 30; n += 1) {
      await producer.send(queue, { n });
      await sleep(20);
    }

    await waitFor(
      () => caught.length >= 1 && processed.length === 30,
      'quarantine and 30 processed messages',
    );
    await sleep(1000);
    expect(caught).toHaveLength(1);
    expect(processed.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // JMSXDeliveryCount>5 after four deliveries: with persistJMSRedelivered the count runs one ahead.
    expect(poisonSeen).toBeGreaterThanOrEqual(4);
    expect(caught[0].queue).toBe(queue);
    expect(caught[0].header['zocalo-test']).toBe('poison');
    expect(JSON.parse(caught[0].body.toString())).toEqual({ n: 0, poison: true });
    const warning = logger.at('warn')[0];
    expect(warning?.msg).toMatch(/delivered more than 5 times/);
    expect(warning?.fields).toMatchObject({ queue, deadLetterQueue: `DLQ.${queue}` });

    // The message is in DLQ.<queue>: purge it to a file, with its headers.
    const dir = await mkdtemp(join(tmpdir(), 'schlock-'));
    try {
      // dlq check (by holding: the statistics plugin does not answer over STOMP on this broker), twice:
      // counting releases the messages again.
      for (let round = 0; round < 2; round += 1) {
        expect(
          await countByHolding(producer, [`DLQ.${queue}`, `DLQ.${queue}.none`], { idleTimeout: 0.5 }),
        ).toEqual([
          { queue: `DLQ.${queue}`, messages: 1, atLeast: false },
          { queue: `DLQ.${queue}.none`, messages: 0, atLeast: false },
        ]);
      }
      const purged = await dlqPurge(producer, `DLQ.${queue}`, dir, { idleTimeout: 1.5 });
      expect(purged.files).toHaveLength(1);
      expect(purged.failed).toBe(0);
      const saved = parseDlqFile(await readFile(purged.files[0], 'utf8'));
      expect(saved.originalQueue).toBe(queue);
      expect(saved.header['original-destination']).toBe(`/queue/${queue}`);
      expect(saved.header['zocalo-test']).toBe('poison');
      expect(JSON.parse(saved.body ?? '')).toEqual({ n: 0, poison: true });

      // A purge of the now empty DLQ writes nothing.
      expect((await dlqPurge(producer, `DLQ.${queue}`, dir, { idleTimeout: 0.5 })).files).toHaveLength(0);

      // A file edited by hand into invalid JSON is reported and left in place.
      const broken = join(dir, 'broken.json');
      await writeFile(broken, '{"header": {', 'utf8');

      // Dry run: nothing sent, nothing removed.
      const dry = await dlqReinject(producer, [purged.files[0], broken], { dryRun: true });
      expect(dry.map((outcome) => outcome.status)).toEqual(['dry-run', 'invalid']);
      expect(dry[0].queue).toBe(queue);

      // Reinject to a fixed service on the original queue.
      const fixedService = transport();
      await fixedService.connect();
      const fixedGot: Job[] = [];
      const fixedHeaders: ReceivedHeaders[] = [];
      const outcomes = await dlqReinject(producer, [purged.files[0], broken], { remove: true });
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['sent', 'invalid']);
      expect(outcomes[1].error).toBeDefined();
      await service.disconnect();
      await fixedService.subscribe(queue, (header, message) => {
        fixedGot.push(message as Job);
        fixedHeaders.push(header);
      });
      await waitFor(() => fixedGot.length === 1, 'the reinjected message');
      expect(fixedGot[0]).toEqual({ n: 0, poison: true });
      expect(fixedHeaders[0]['zocalo-test']).toBe('poison');
      expect(fixedHeaders[0]['dlq-reinjected']).toBe('True');
      expect(existsSync(purged.files[0])).toBe(false);
      expect(existsSync(broken)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses the configured limit in its selector', async () => {
    const queue = uniqueName('test.schlock.limit');
    const caught: QuarantinedMessage[] = [];
    const schlockmeister = new Schlockmeister({
      transport: transport(),
      queues: [queue],
      discover: false,
      limit: 2,
      logger: new RecordingLogger(),
      onQuarantine: (message) => caught.push(message),
    });
    expect(schlockmeister.selector).toBe('JMSXDeliveryCount>2');
    await schlockmeister.start();
    started.push(schlockmeister);
    const service = transport();
    await service.connect();
    let seen = 0;
    await service.subscribe(
      queue,
      async (header) => {
        seen += 1;
        await service.nack(header, { requeue: true });
      },
      { acknowledgement: true, prefetch: 1 },
    );
    await service.send(queue, { poison: true });
    await waitFor(() => caught.length === 1, 'quarantine after 1 or 2 deliveries');
    // JMSXDeliveryCount>2: one delivery and its release (the count runs one ahead with
    // persistJMSRedelivered, see the README), not the five or six of the default limit.
    expect(seen).toBeGreaterThanOrEqual(1);
    expect(seen).toBeLessThan(4);
  });

  it('refuses ignored queues and drops idle unpinned queues', async () => {
    const schlockmeister = new Schlockmeister({
      transport: transport(),
      discover: false,
      ignore: ['private.*'],
      idleTimeout: 0.5,
      scanInterval: 0.1,
      logger: new RecordingLogger(),
    });
    await schlockmeister.start();
    started.push(schlockmeister);
    expect(await schlockmeister.watch('transient.abc')).toBe(false);
    expect(await schlockmeister.watch('DLQ.abc')).toBe(false);
    expect(await schlockmeister.watch('ActiveMQ.Statistics.Destination.abc')).toBe(false);
    expect(await schlockmeister.watch('private.thing')).toBe(false);
    const queue = uniqueName('test.schlock.idle');
    expect(await schlockmeister.watch(queue)).toBe(true);
    expect(schlockmeister.watchedQueues()).toEqual([queue]);
    await waitFor(() => schlockmeister.watchedQueues().length === 0, 'the idle queue to be dropped', 5000);
  });

  it('queue drain moves every message with its headers, in order, at the given rate', async () => {
    const source = uniqueName('test.schlock.drain.src');
    const destination = uniqueName('test.schlock.drain.dst');
    const mover = transport();
    await mover.connect();
    for (let n = 0; n < 10; n += 1) await mover.send(source, { n }, { headers: { 'zocalo-n': n } });
    const progress: number[] = [];
    const started = Date.now();
    const result = await queueDrain(mover, source, destination, {
      rate: 50,
      idleTimeout: 0.5,
      onProgress: (moved) => progress.push(moved),
    });
    expect(result).toEqual({ moved: 10, failed: 0 });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9 * 20);
    const got: Array<{ n: number; header: string | number | boolean | undefined }> = [];
    await mover.subscribe(destination, (header, message) => {
      got.push({ n: (message as { n: number }).n, header: header['zocalo-n'] });
    });
    await waitFor(() => got.length === 10, 'the drained messages');
    expect(got).toEqual(Array.from({ length: 10 }, (_, n) => ({ n, header: String(n) })));
    await expect(queueDrain(mover, source, source)).rejects.toThrow(/both/);
  });

  it('quarantines the message that keeps crashing a restarting service process', async () => {
    const queue = uniqueName('test.schlock.crash');
    const caught: QuarantinedMessage[] = [];
    const schlockmeister = new Schlockmeister({
      transport: transport(),
      queues: [queue],
      discover: false,
      logger: new RecordingLogger(),
      onQuarantine: (message) => caught.push(message),
    });
    await schlockmeister.start();
    started.push(schlockmeister);

    const done = new Set<number>();
    let crashes = 0;
    let child: ChildProcess | undefined;
    let stopping = false;
    const startService = (): void => {
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--conditions=@zocalo/source',
          join(__dirname, 'fixtures', 'crashing-service.ts'),
          queue,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          const match = /^done (\d+)$/.exec(line);
          if (match) done.add(Number(match[1]));
        }
      });
      child.on('exit', (code) => {
        if (code === 3) crashes += 1;
        if (!stopping) startService(); // the service keeps restarting, as under a supervisor
      });
    };
    startService();

    const producer = transport();
    await producer.connect();
    await producer.send(queue, { n: 0, poison: true });
    for (let n = 1; n <= 20; n += 1) await producer.send(queue, { n });
    try {
      await waitFor(
        () => caught.length === 1 && done.size === 20,
        'quarantine and 20 processed messages',
        80_000,
      );
    } finally {
      stopping = true;
      const running = child;
      if (running && running.exitCode === null) {
        await new Promise((resolve) => {
          running.once('exit', resolve);
          running.kill('SIGTERM');
        });
      }
    }
    // With persistJMSRedelivered (scripts/brokers/activemq.xml) JMSXDeliveryCount runs one dispatch ahead:
    // JMSXDeliveryCount>5 matches after four deliveries.
    expect(crashes).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(caught[0].body.toString())).toEqual({ n: 0, poison: true });
  });

  it('runs as a service on the service runtime', async () => {
    const queue = uniqueName('test.schlock.service');
    const caught: QuarantinedMessage[] = [];
    const runtime = new ServiceRuntime(
      schlockmeisterService({
        queues: [queue],
        discover: false,
        limit: 1,
        onQuarantine: (m) => caught.push(m),
      }),
      { transport: stompTransport(), logger: new RecordingLogger(), commandTopic: false },
    );
    const running = runtime.run();
    const service = transport();
    await service.connect();
    await service.subscribe(queue, (header) => service.nack(header, { requeue: true }), {
      acknowledgement: true,
      prefetch: 1,
    });
    await service.send(queue, { poison: true });
    try {
      await waitFor(() => caught.length === 1, 'quarantine by the service');
    } finally {
      runtime.stop();
      await running;
    }
  });

  it('discovers a queue from the consumer advisory alone, ignores transient.* and DLQ.*, drops it once idle', async () => {
    // Every name carries one token, and Schlockmeister only includes names with it: the broker is
    // shared, and a discovering Schlockmeister with limit 2 must not quarantine anyone else's messages.
    const token = uniqueName('d').slice(2);
    const queue = `test.schlock.discover.${token}`;
    const before = `test.schlock.existing.${token}`;
    const caught: QuarantinedMessage[] = [];
    const service = transport();
    await service.connect();
    // A consumer that exists before Schlockmeister starts: the broker announces it to a new advisory subscriber.
    const beforeSubscription = await service.subscribe(before, () => undefined);
    const schlockmeister = new Schlockmeister({
      transport: transport(),
      limit: 2,
      include: [`*${token}`],
      idleTimeout: 1,
      scanInterval: 0.1,
      logger: new RecordingLogger(),
      onQuarantine: (message) => caught.push(message),
    });
    await schlockmeister.start();
    started.push(schlockmeister);
    await waitFor(() => schlockmeister.watchedQueues().includes(before), "the existing consumer's queue");

    // Consumers on ignored queues, then one on a fresh queue: advisories arrive in order on one subscription.
    await service.subscribe(`transient.test.schlock.${token}`, () => undefined);
    await service.subscribe(`DLQ.test.schlock.${token}`, () => undefined);
    expect(schlockmeister.watchedQueues()).not.toContain(queue);
    let seen = 0;
    const serviceSubscription = await service.subscribe(
      queue,
      async (header) => {
        seen += 1;
        await service.nack(header, { requeue: true });
      },
      { acknowledgement: true, prefetch: 1 },
    );
    await waitFor(() => schlockmeister.watchedQueues().includes(queue), 'discovery of the fresh queue');
    expect(schlockmeister.watchedQueues().filter((name) => /^(transient|DLQ)\./.test(name))).toEqual([]);

    // The discovered queue is watched with the selector: a message released over and over is caught.
    await service.send(queue, { poison: true });
    await waitFor(() => caught.length === 1, 'quarantine on the discovered queue');
    expect(caught[0].queue).toBe(queue);
    expect(seen).toBeGreaterThanOrEqual(1);

    // While its service consumer is there the queue is not idle, however long; gone, it is dropped.
    await sleep(1500);
    expect(schlockmeister.watchedQueues()).toContain(queue);
    await service.unsubscribe(serviceSubscription);
    await service.unsubscribe(beforeSubscription);
    const gone = Date.now();
    await waitFor(
      () =>
        !schlockmeister.watchedQueues().includes(queue) && !schlockmeister.watchedQueues().includes(before),
      'the idle queues to be dropped',
      5000,
    );
    expect(Date.now() - gone).toBeGreaterThanOrEqual(900);
  });

  it('dlq check counts DLQ.<queue> through the statistics plugin', async () => {
    const queue = uniqueName('test.schlock.stats');
    const other = uniqueName('test.schlock.stats');
    const client = transport();
    await client.connect();
    for (let n = 0; n < 3; n += 1) await client.send(`DLQ.${queue}`, { n });
    await client.send(`DLQ.${other}`, { n: 0 });
    const expected = [
      { queue: `DLQ.${queue}`, messages: 3 },
      { queue: `DLQ.${queue}.none`, messages: 0 },
      { queue: `DLQ.${other}`, messages: 1 },
    ].sort((a, b) => a.queue.localeCompare(b.queue));
    expect(await activemqDlqCheck(client, [queue, `DLQ.${other}`, `${queue}.none`])).toEqual(expected);
    // Without names: every DLQ.* queue of the broker, ours among them.
    const all = await activemqDlqCheck(client);
    expect(all).toContainEqual({ queue: `DLQ.${queue}`, messages: 3 });
    expect(all.every((count) => count.queue.startsWith('DLQ.'))).toBe(true);
    // Counting takes nothing away.
    const dir = await mkdtemp(join(tmpdir(), 'schlock-stats-'));
    try {
      const purged = await dlqPurge(client, `DLQ.${queue}`, dir, { idleTimeout: 0.5 });
      expect(purged.files).toHaveLength(3);
      await dlqPurge(client, `DLQ.${other}`, dir, { idleTimeout: 0.5 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await activemqDlqCheck(client, [queue])).toEqual([{ queue: `DLQ.${queue}`, messages: 0 }]);
  });

  it('purges a body that is not UTF-8 byte for byte, and reinjects a file python-zocalo wrote', async () => {
    const queue = uniqueName('test.schlock.bytes');
    const client = transport();
    await client.connect();
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x41]);
    await client.rawSend(`DLQ.${queue}`, bytes, { headers: { 'zocalo-test': 'bytes' } });
    const dir = await mkdtemp(join(tmpdir(), 'schlock-bytes-'));
    try {
      const purged = await dlqPurge(client, `DLQ.${queue}`, dir, { idleTimeout: 0.5 });
      expect(purged.files).toHaveLength(1);
      const saved = JSON.parse(await readFile(purged.files[0], 'utf8')) as DlqFile;
      expect(saved.bodyBase64).toBe(bytes.toString('base64'));
      expect(saved.body).toBeUndefined();
      expect(saved.message).toBeUndefined(); // python-zocalo could not send it faithfully

      // python-zocalo's dlq_purge file for a STOMP message: header + parsed message, no originalQueue.
      const python = join(dir, 'msg-20261127-072501-123-ID_python_1');
      await writeFile(
        python,
        JSON.stringify({
          exported: { date: '2026-11-27', time: '07:25:01' },
          header: {
            destination: `/queue/DLQ.${queue}`,
            'original-destination': `/queue/${queue}`,
            'message-id': 'ID:python-1',
            'workflows-recipe': 'True',
            subscription: '1',
            timestamp: '1795764301123',
          },
          message: { recipe: {}, payload: 'from python' },
        }),
      );
      const got: Array<{ header: ReceivedHeaders; body: Buffer }> = [];
      await client.subscribe(queue, (header, message) => void got.push({ header, body: message as Buffer }), {
        rawBytes: true,
      });
      const outcomes = await dlqReinject(client, [purged.files[0], python], { remove: true });
      expect(outcomes.map((outcome) => [outcome.status, outcome.queue])).toEqual([
        ['sent', queue],
        ['sent', queue],
      ]);
      await waitFor(() => got.length === 2, 'both reinjected messages');
      expect(got[0].body.equals(bytes)).toBe(true);
      expect(got[0].header['zocalo-test']).toBe('bytes');
      expect(JSON.parse(got[1].body.toString('utf8'))).toEqual({ recipe: {}, payload: 'from python' });
      expect(got[1].header['workflows-recipe']).toBe('True');
      expect(got[1].header['dlq-reinjected']).toBe('True');
      expect(existsSync(purged.files[0]) || existsSync(python)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
