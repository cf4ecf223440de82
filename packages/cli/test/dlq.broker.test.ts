/**
 * The Proof of the dead-letter issue, on both real brokers, with the built `zocalo` bin: a service
 * process that dies on one particular message keeps being restarted (as by a supervisor); the message is
 * quarantined after the delivery limit while the other messages keep flowing — by `zocalo service
 * Schlockmeister`'s selector subscription on ActiveMQ, by the broker under the delivery-limit policy that
 * `zocalo service Schlockmeister` gives the quorum queue on RabbitMQ (the crashing service on the AMQP
 * transport), which it then logs from dlq.<queue> with its x-death history; `zocalo dlq check` counts
 * it; `zocalo dlq purge` writes it with its history; `zocalo dlq reinject` puts it back, where the fixed
 * service processes it; a file edited by hand into invalid JSON is reported and left in place.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DlqFile } from '@zocalo/schlockmeister';
import { RabbitManagement, parseDlqFile, policyName } from '@zocalo/schlockmeister';
import type { BrokerKind } from '@zocalo/test-brokers';
import { rabbitManagement, requireBroker, uniqueName } from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { Transport } from '@zocalo/workflows';
import { RecordingLogger } from '@zocalo/workflows';
import { FIXTURES, sleep, startZocalo, tempDirectory, until, zocalo } from './helpers';

jest.setTimeout(90_000);

const quiet = new RecordingLogger();

/** The transport options of every command, and the counting ones' (RabbitMQ's management API). */
const FLAGS: Record<BrokerKind, string[]> = {
  stomp: ['-t', 'stomp', '--stomp-host', '127.0.0.1', '--stomp-port', '61613'],
  amqp: ['-t', 'amqp', '--rabbit-host', '127.0.0.1', '--rabbit-port', '5672'],
};
const COUNTING: Record<BrokerKind, string[]> = {
  stomp: FLAGS.stomp,
  amqp: [...FLAGS.amqp, '--rabbit-api', 'http://127.0.0.1:15672'],
};

function transportFor(kind: BrokerKind): Transport {
  return kind === 'stomp'
    ? new StompTransport({
        host: '127.0.0.1',
        port: 61613,
        username: 'admin',
        password: 'password',
        logger: quiet,
      })
    : new AmqpTransport({
        host: '127.0.0.1',
        port: 5672,
        username: 'guest',
        password: 'guest',
        logger: quiet,
      });
}

/** The poison service, restarted whenever it dies, as under a supervisor; `stop()` ends the loop. */
class Supervised {
  readonly done = new Set<number>();
  readonly fixed = new Set<number>();
  crashes = 0;
  private child: ChildProcess | undefined;
  private stopping = false;

  constructor(
    private readonly kind: BrokerKind,
    private readonly queue: string,
    private readonly mode: 'crash' | 'fixed',
  ) {
    this.start();
  }

  private start(): void {
    const child = spawn(
      process.execPath,
      [join(FIXTURES, 'poison-service.mjs'), this.kind, this.queue, this.mode],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        const match = /^(done|fixed) (\d+)$/.exec(line);
        if (match) (match[1] === 'done' ? this.done : this.fixed).add(Number(match[2]));
      }
    });
    child.on('exit', (code) => {
      if (code === 3) this.crashes += 1;
      if (!this.stopping) this.start();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function sendJobs(producer: Transport, queue: string, count: number): Promise<void> {
  await producer.send(queue, { n: 0, poison: true }, { headers: { 'zocalo-test': 'poison' } });
  for (let n = 1; n <= count; n += 1) await producer.send(queue, { n });
}

/** Runs `zocalo dlq check` until it reports `expected` for the queue's DLQ (RabbitMQ's counts lag). */
async function checkUntil(kind: BrokerKind, queue: string, dlq: string, expected: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await zocalo(['dlq', 'check', queue, ...COUNTING[kind]]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    if (new RegExp(`^${escape(dlq)}\\s+${expected}$`, 'm').test(result.stdout)) return result.stdout;
    if (Date.now() > deadline)
      throw new Error(`dlq check never reported ${expected} for ${dlq}:\n${result.stdout}`);
    await sleep(500);
  }
}

/** The files under a purge location (python-zocalo's layout: <dir>/<date>/msg-...). */
function purgedFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** Purge, then reinject to a fixed service: the shared second half of the proof. */
async function purgeAndReinject(kind: BrokerKind, queue: string, dlq: string): Promise<DlqFile> {
  const dir = tempDirectory();
  try {
    const purge = await zocalo(['dlq', 'purge', queue, '--location', dir, '--wait', '1', ...COUNTING[kind]]);
    expect(purge.code).toBe(0);
    expect(purge.stdout).toMatch(new RegExp(`^purged 1 message from 1 dead-letter queue into ${dir}$`, 'm'));
    const files = purgedFiles(dir);
    expect(files).toHaveLength(1);
    const file = files[0];
    // python-zocalo's layout and the lines it prints, which reinject reads from standard input.
    expect(file.slice(dir.length)).toMatch(/^\/\d{4}-\d{2}-\d{2}\/msg-\d{8}-\d{6}-\d{3}-[A-Za-z0-9._-]+$/);
    expect(purge.stdout).toMatch(
      new RegExp(`^Message \\S+ \\([\\d-]+ [\\d:]+\\) exported:\n  ${file}$`, 'm'),
    );
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(false);
    const raw = JSON.parse(text) as { header: Record<string, unknown> };
    expect(Object.keys(raw)).toEqual(['exported', 'header', 'message']);
    // RabbitMQ: x-death a list at the top level of the header, where python-zocalo reads it.
    if (kind === 'amqp') expect(Array.isArray(raw.header['x-death'])).toBe(true);
    const saved = parseDlqFile(text);
    expect(saved).toMatchObject({ originalQueue: queue, message: { n: 0, poison: true } });
    expect(JSON.parse(saved.body ?? '')).toEqual({ n: 0, poison: true });
    expect(saved.header['zocalo-test']).toBe('poison');
    // The DLQ is empty now.
    await checkUntil(kind, queue, dlq, 0);

    // A file edited by hand into invalid JSON: reported with its path, left in place, exit code 1.
    const broken = join(dir, 'edited.json');
    writeFileSync(broken, readFileSync(file, 'utf8').slice(0, 40));
    const fixed = new Supervised(kind, queue, 'fixed');
    try {
      // The good file's name from purge's output on standard input, as with python-zocalo's tools.
      const reinject = await zocalo(['dlq', 'reinject', '-r', broken, ...FLAGS[kind]], {
        input: purge.stdout,
      });
      expect(reinject.code).toBe(1);
      expect(reinject.stdout).toMatch(/^1 filenames read from stdin$/m);
      expect(reinject.stdout).toContain(`${file}: sent to ${queue}, file removed`);
      expect(reinject.stdout).toMatch(/^reinjected 1 message; 1 invalid file left in place$/m);
      expect(reinject.stderr).toContain(`${broken}: invalid: not valid JSON`);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(broken)).toBe(true);
      await until(() => fixed.fixed.has(0), 20_000);
    } finally {
      await fixed.stop();
    }
    return saved;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('dead-letter proof on ActiveMQ', () => {
  beforeAll(async () => {
    await requireBroker('stomp');
  });

  it('quarantines the message that crashes a restarting service; check, purge and reinject bring it back', async () => {
    const queue = uniqueName('test.cli.dlq');
    // Schlockmeister as `zocalo service Schlockmeister`, on this queue only (the broker is shared).
    const schlockmeister = startZocalo([
      'service',
      'Schlockmeister',
      ...FLAGS.stomp,
      '-s',
      `zocalo.schlockmeister.queues=${queue}`,
      '-s',
      'zocalo.schlockmeister.discover=false',
    ]);
    const producer = transportFor('stomp');
    let service: Supervised | undefined;
    try {
      await schlockmeister.waitFor(/Schlockmeister: watching queue/);
      await producer.connect();
      service = new Supervised('stomp', queue, 'crash');
      await sendJobs(producer, queue, 20);
      const caught = /was delivered more than 5 times; quarantining it/;
      const crashing = service;
      await until(() => caught.test(schlockmeister.output()) && crashing.done.size === 20, 60_000);
      expect(service.crashes).toBeGreaterThanOrEqual(4); // JMSXDeliveryCount runs one ahead (persistJMSRedelivered)
      // The catch is logged with the message's headers.
      const line =
        schlockmeister
          .output()
          .split('\n')
          .find((entry) => caught.test(entry)) ?? '';
      expect(JSON.parse(line)).toMatchObject({ queue, deadLetterQueue: `DLQ.${queue}` });
      expect(line).toContain('"zocalo-test":"poison"');
    } finally {
      await service?.stop();
      await producer.disconnect();
      schlockmeister.child.kill('SIGTERM');
      expect((await schlockmeister.exited).code).toBe(0);
    }
    expect(await checkUntil('stomp', queue, `DLQ.${queue}`, 1)).toMatch(
      /^1 message in 1 dead-letter queue$/m,
    );
    // Without names: every DLQ holding messages (never purged that way here: the broker is shared).
    const all = await zocalo(['dlq', 'check', '--json', ...FLAGS.stomp]);
    const counts = JSON.parse(all.stdout) as Array<{ queue: string; messages: number }>;
    expect(counts).toContainEqual({ queue: `DLQ.${queue}`, messages: 1 });
    expect(counts.every((count) => count.messages > 0 && count.queue.startsWith('DLQ.'))).toBe(true);
    const saved = await purgeAndReinject('stomp', queue, `DLQ.${queue}`);
    // Its history on ActiveMQ: where it came from (the broker keeps no delivery count in STOMP frames).
    expect(saved.header['original-destination']).toBe(`/queue/${queue}`);
    // Empty now: listed only with --all.
    const listed = async (...flags: string[]): Promise<Array<{ queue: string; messages: number }>> =>
      JSON.parse((await zocalo(['dlq', 'check', '--json', ...flags, ...FLAGS.stomp])).stdout) as Array<{
        queue: string;
        messages: number;
      }>;
    expect((await listed()).map((count) => count.queue)).not.toContain(`DLQ.${queue}`);
    expect(await listed('--all')).toContainEqual({ queue: `DLQ.${queue}`, messages: 0 });
  });
});

describe('the dead-letter and queue commands on ActiveMQ', () => {
  beforeAll(async () => {
    await requireBroker('stomp');
  });

  it('queue drain moves every message with its headers, in order, at the rate asked, with a summary', async () => {
    const source = uniqueName('test.cli.drain.src');
    const destination = uniqueName('test.cli.drain.dst');
    const client = transportFor('stomp');
    await client.connect();
    try {
      for (let n = 0; n < 10; n += 1) await client.send(source, { n }, { headers: { 'zocalo-n': n } });
      const started = Date.now();
      const drain = await zocalo([
        'queue',
        'drain',
        source,
        destination,
        '--rate',
        '20/s',
        '--wait',
        '0.5',
        ...FLAGS.stomp,
      ]);
      expect(drain.code).toBe(0);
      expect(drain.stdout).toMatch(
        new RegExp(`^moved 10 messages from ${source} to ${destination} in [\\d.]+ s$`, 'm'),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(9 * 50);
      const got: Array<[unknown, unknown]> = [];
      await client.subscribe(destination, (header, message) => void got.push([message, header['zocalo-n']]));
      await until(() => got.length === 10);
      expect(got).toEqual(Array.from({ length: 10 }, (_, n) => [{ n }, String(n)]));
    } finally {
      await client.disconnect();
    }
  });

  it('says what is wrong, with exit code 2 for bad input and 1 for files it could not reinject', async () => {
    // The memory transport's DLQs are those of this new process: none (dlq.memory.test.ts has some).
    const memory = await zocalo(['dlq', 'check', '-t', 'memory']);
    expect(memory).toMatchObject({ code: 0, stdout: '0 messages in 0 dead-letter queues\n', stderr: '' });
    const wait = await zocalo([
      'dlq',
      'purge',
      'q',
      '--to',
      tempDirectory(),
      '--wait',
      'soon',
      ...FLAGS.stomp,
    ]);
    expect(wait.code).toBe(2);
    expect(wait.stderr).toContain('--wait must be a number of seconds');
    const missing = await zocalo(['dlq', 'reinject', '/nonexistent/msg.json', '--dry-run', ...FLAGS.stomp]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/nonexistent/msg.json: invalid:');
    expect(missing.stdout).toMatch(/^would send 0 messages; 1 invalid file left in place$/m);
    // Damaged base64 and a FIFO: each named with why, exit 1, and the good file still goes.
    const dir = tempDirectory({
      'damaged.json': { header: {}, originalQueue: 'q', bodyBase64: '/w==AA' },
      'good.json': { header: {}, originalQueue: 'q', bodyBase64: '/w==' },
    });
    execFileSync('mkfifo', [join(dir, 'pipe.json')]);
    const files = ['damaged.json', 'pipe.json', 'good.json'].map((name) => join(dir, name));
    const bad = await zocalo(['dlq', 'reinject', ...files, '--dry-run', ...FLAGS.stomp], { timeout: 15_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${files[0]}: invalid: "bodyBase64" is not valid base64`);
    expect(bad.stderr).toContain(`${files[1]}: invalid: a FIFO (named pipe), not a regular file`);
    expect(bad.stdout).toContain(`${files[2]}: would send to q\n`);
    expect(bad.stdout).toMatch(/^would send 1 message; 2 invalid files left in place$/m);
    // Names from standard input only (the lines purge prints; others ignored), read to its end.
    const piped = await zocalo(['dlq', 'reinject', '--dry-run', ...FLAGS.stomp], {
      input: `Message 1 (2026-12-03 19:52:31) exported:\n  ${files[2]}\nDone.\n`,
    });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^1 filenames read from stdin$/m);
    expect(piped.stdout).toContain(`${files[2]}: would send to q\n`);
    const none = await zocalo(['dlq', 'reinject', ...FLAGS.stomp]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No DLQ message files given.');
  });
});

describe('the dead-letter and queue commands under a STOMP prefix', () => {
  beforeAll(async () => {
    await requireBroker('stomp');
  });

  it("take the site's queue names and find ActiveMQ's DLQ.<prefix>.<queue> outside the prefix", async () => {
    const prefix = uniqueName('test.cli.prefix');
    const full = `${prefix}.jobs`;
    const withPrefix = [...FLAGS.stomp, '--stomp-prfx', prefix];
    const broker = transportFor('stomp');
    const site = new StompTransport({ host: '127.0.0.1', port: 61613, prefix, logger: quiet });
    const dir = tempDirectory();
    const other = `DLQ.${uniqueName('test.cli.other')}`;
    await broker.connect();
    await site.connect();
    try {
      // What ActiveMQ makes of a message that failed on the site's queue "jobs".
      await broker.send(`DLQ.${full}`, { n: 1 }, { headers: { 'original-destination': `/queue/${full}` } });
      // Another site's DLQ, which this site's listing leaves out.
      await broker.send(other, { n: 2 });

      const named = await zocalo(['dlq', 'check', 'jobs', ...withPrefix]);
      expect(named.stdout).toMatch(new RegExp(`^${escape(`DLQ.${full}`)}\\s+1$`, 'm'));
      const all = await zocalo(['dlq', 'check', '--json', ...withPrefix]);
      expect(JSON.parse(all.stdout)).toEqual([{ queue: `DLQ.${full}`, messages: 1 }]);

      // The location from the site's storage zocalo.dlq.purge_location, as python-zocalo takes it.
      const config = join(dir, 'site.yml');
      writeFileSync(
        config,
        `version: 1\nstorage:\n  plugin: storage\n  zocalo.dlq.purge_location: ${join(dir, 'purged')}\n` +
          'environments:\n  default: [storage]\n',
      );
      const purge = await zocalo(['dlq', 'purge', 'jobs', '--config', config, '--wait', '1', ...withPrefix]);
      expect(purge.code).toBe(0);
      const [file] = purgedFiles(join(dir, 'purged'));
      expect(parseDlqFile(readFileSync(file, 'utf8'))).toMatchObject({
        dlq: `DLQ.${full}`,
        originalQueue: full,
      });

      // --to is a site name; without it the file's queue is the broker's, and neither gets the prefix twice.
      const dry = await zocalo(['dlq', 'reinject', file, '--to', 'retry', '--dry-run', ...withPrefix]);
      expect(dry.stdout).toContain(`${file}: would send to ${prefix}.retry`);
      const back: unknown[] = [];
      await site.subscribe('jobs', (_header, message) => void back.push(message));
      const reinject = await zocalo(['dlq', 'reinject', file, ...withPrefix]);
      expect(reinject.code).toBe(0);
      await until(() => back.length === 1);
      expect(back).toEqual([{ n: 1 }]);

      // queue drain: both queues named as the site names them.
      for (let n = 0; n < 3; n += 1) await site.send('from', { n });
      const drain = await zocalo(['queue', 'drain', 'from', 'to', '--wait', '0.5', ...withPrefix]);
      expect(drain.stdout).toMatch(/^moved 3 messages from from to to in [\d.]+ s$/m);
      const drained: unknown[] = [];
      await site.subscribe('to', (_header, message) => void drained.push(message));
      await until(() => drained.length === 3);
      expect(drained).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      // Leave no message behind on the shared broker.
      let taken = 0;
      await broker.subscribe(other, () => void taken++);
      await until(() => taken === 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await site.disconnect();
      await broker.disconnect();
    }
  });
});

describe('dead-letter proof on RabbitMQ', () => {
  const management = new RabbitManagement();
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    await requireBroker('amqp');
  });

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('purges nothing from a DLQ that does not exist, and declares none', async () => {
    const queue = uniqueName('test.cli.dlq.none');
    const dir = tempDirectory();
    try {
      const purge = await zocalo(['dlq', 'purge', queue, '--to', dir, ...COUNTING.amqp]);
      expect(purge.code).toBe(0);
      expect(purge.stderr).toContain(`there is no queue dlq.${queue}; nothing to purge there`);
      expect(purge.stdout).toMatch(/^purged 0 messages from 0 dead-letter queues into /m);
      expect(await rabbitManagement.getQueue(`dlq.${queue}`)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quarantines under the delivery-limit policy; check, purge and reinject bring it back', async () => {
    const queue = uniqueName('test.cli.dlq');
    await management.request('PUT', management.path('queues', queue), {
      durable: true,
      auto_delete: false,
      arguments: { 'x-queue-type': 'quorum' },
    });
    cleanup.push(() => management.request('DELETE', management.path('queues', queue)));
    cleanup.push(() => management.request('DELETE', management.path('queues', `dlq.${queue}`)));
    cleanup.push(() => management.request('DELETE', management.path('policies', policyName(queue))));
    // Schlockmeister as `zocalo service Schlockmeister`, on this queue only (the broker is shared): it
    // gives the quorum queue its delivery-limit policy and watches dlq.<queue>.
    const schlockmeister = startZocalo([
      'service',
      'Schlockmeister',
      ...FLAGS.amqp,
      '-s',
      `zocalo.schlockmeister.include=${queue}`,
      '-s',
      'zocalo.schlockmeister.scan_interval=0.5',
    ]);
    const producer = transportFor('amqp');
    let service: Supervised | undefined;
    try {
      await schlockmeister.waitFor(
        new RegExp(`${escape(queue)} is now protected \\(policy ${escape(policyName(queue))}`),
      );
      await producer.connect();
      service = new Supervised('amqp', queue, 'crash');
      await sendJobs(producer, queue, 20);
      const arrived = new RegExp(
        `message quarantined in dlq\\.${escape(queue)} \\(from ${escape(queue)}, reason delivery_limit, count 1\\)`,
      );
      const crashing = service;
      await until(() => arrived.test(schlockmeister.output()) && crashing.done.size === 20, 60_000);
      expect(service.crashes).toBeGreaterThanOrEqual(4); // JMSXDeliveryCount runs one ahead (persistJMSRedelivered)
    } finally {
      await service?.stop();
      await producer.disconnect();
      schlockmeister.child.kill('SIGTERM');
      expect((await schlockmeister.exited).code).toBe(0);
    }
    expect(await checkUntil('amqp', queue, `dlq.${queue}`, 1)).toMatch(/^1 message in 1 dead-letter queue$/m);
    const saved = await purgeAndReinject('amqp', queue, `dlq.${queue}`);
    // Its history on RabbitMQ: the x-death list at the top level of the header, where python-zocalo reads it.
    expect(saved.header['x-death']).toMatchObject([{ queue, reason: 'delivery_limit' }]);
  });
});
