/**
 * Hostile processing requests against a running Dispatcher (`createDispatcher` from the site's
 * storage, as `zocalo service Dispatcher` makes it) on memory, ActiveMQ and RabbitMQ: seeded
 * property-based requests (fast-check, `ZOCALO_FUZZ_SEED` / `ZOCALO_FUZZ_RUNS` as the other fuzz
 * classes; made in fixtures/hostile-requests.ts) — unknown and path-traversing recipe names, NUL and
 * unicode in names, huge lists, wrong types for every field, placeholder bombs, deep nesting, guids
 * of every type, invalid custom recipes, recipes that send to the Dispatcher's own queue, wide
 * fan-outs — each followed by a valid request. On the brokers the Dispatcher runs in a process of
 * its own (which must stay up, started once); on memory, whose broker lives in this process, here.
 *
 * For every request: dispatched (its recipe's first steps received it, as many times as it has
 * start entries), dead-lettered with the reason logged, or refused at the sender with a typed error
 * — exactly one of them, never lost, never released for another try. Each valid request is
 * dispatched exactly once. Canary recipes outside the recipe directory are never read: nothing
 * reaches their queue and their token appears in no message, log line or logbook entry.
 */
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { createDispatcher } from '@zocalo/dispatcher';
import { requireBroker, sleep, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import { InvalidArgumentError, RecordingLogger, ServiceRuntime, ServiceState } from '@zocalo/workflows';
import type { Envelope, Outcome, Probe, Queues } from './fixtures/hostile-requests';
import { probes, recipeTree } from './fixtures/hostile-requests';
import type { Received, Site } from './helpers';
import {
  ACTIVEMQ,
  FUZZ_RUNS,
  FUZZ_SEED,
  MEMORY,
  QueueNames,
  RABBITMQ,
  ServiceProcess,
  closeAll,
  collect,
  configurationOf,
  connect,
} from './helpers';

jest.setTimeout(180_000);

/** The Dispatcher under attack, running: in a process of its own on a broker, here on memory. */
interface RunningDispatcher {
  /** Log records, as JSON objects. */
  records(): Array<Record<string, unknown>>;
  /** Its whole log as text (for the canary). */
  text(): string;
  /** Still running, never restarted. */
  healthy(): string | undefined;
  stop(): Promise<void>;
}

async function startDispatcher(site: Site, storage: Record<string, string>): Promise<RunningDispatcher> {
  if (site.broker) {
    const child = new ServiceProcess(
      site,
      Object.entries(storage).map(([key, value]) => `${key}=${value}`),
      'dispatcher-service.ts',
    );
    const pid = child.pid;
    const records = (): Array<Record<string, unknown>> =>
      child.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await until(
      () => child.stderr.includes('"msg":"service started"') || !child.running,
      30_000,
      'the Dispatcher to start',
    );
    if (!child.running) throw new Error(`the Dispatcher exited:\n${child.stderr.slice(-4000)}`);
    return {
      records,
      text: () => child.stderr,
      healthy: () => {
        if (!child.running || child.pid !== pid)
          return `the Dispatcher (pid ${pid}) exited:\n${child.stderr.slice(-3000)}`;
        const starts = records().filter((record) => record.msg === 'service started').length;
        return starts === 1 ? undefined : `the Dispatcher started ${starts} times`;
      },
      stop: () => child.stop(),
    };
  }
  const logger = new RecordingLogger();
  const configuration = configurationOf(site);
  const runtime = new ServiceRuntime(
    await createDispatcher({ storage: { ...configuration.storage, ...storage }, logger }),
    { transport: await configuration.createTransport({ logger }), logger, commandTopic: false },
  );
  let ended: string | undefined;
  const running = runtime.run().then(
    () => (ended = 'the Dispatcher ended'),
    (error: unknown) => (ended = `the Dispatcher failed: ${String(error)}`),
  );
  await until(() => runtime.state === ServiceState.IDLE, 15_000, 'the Dispatcher to start');
  const records = (): Array<Record<string, unknown>> =>
    logger.records.map((record) => ({ ...record.fields, level: record.level, msg: record.msg }));
  return {
    records,
    text: () =>
      logger.records
        .map(
          (record) =>
            `${record.msg} ${JSON.stringify(record.fields, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
        )
        .join('\n'),
    healthy: () => {
      if (ended !== undefined || runtime.state === ServiceState.ERROR)
        return ended ?? 'the Dispatcher is in ERROR';
      const starts = records().filter((record) => record.msg === 'service started').length;
      return starts === 1 ? undefined : `the Dispatcher started ${starts} times`;
    },
    stop: async () => {
      runtime.stop();
      await running;
    },
  };
}

/** `until`, looking less often: the look goes through every message received so far. */
async function poll(predicate: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Whether `text` is in any string or key of `value`; iterative, as dead letters may be 200,000 deep. */
function holds(value: unknown, text: string): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string' && item.includes(text)) return true;
    if (Buffer.isBuffer(item)) {
      if (item.includes(text)) return true;
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes(text)) return true;
        pending.push(child);
      }
    }
  }
  return false;
}

/** Files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The number a message was sent for: its header, or the request (or the request it carries). */
function numberOf(received: Received): number | undefined {
  const header = received.header['fuzz-n'];
  if (header !== undefined) return Number(header);
  const body = received.message as Record<string, unknown> | null;
  const request = (body?.payload ?? body) as { parameters?: { fuzz_n?: unknown } } | undefined;
  const n = Number(request?.parameters?.fuzz_n);
  return Number.isInteger(n) ? n : undefined;
}

describe.each([MEMORY, ACTIVEMQ, RABBITMQ])('hostile Dispatcher requests on $label', (site: Site) => {
  const opened: Transport[] = [];
  const queues = new QueueNames(site);
  let dispatcher: RunningDispatcher | undefined;
  let root: string | undefined;

  beforeAll(async () => {
    if (site.broker) await requireBroker(site.broker);
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await closeAll(opened);
    await queues.remove();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the Dispatcher stays up; each request dispatched, dead-lettered with a reason, or refused; valid ones once; nothing read outside the recipe directory', async () => {
    const started = performance.now();
    const name = (prefix: string): string => {
      const queue = queues.name(prefix);
      if (site.broker === 'amqp') queues.track(`dlq.${queue}`);
      return queue;
    };
    const q: Queues = {
      requests: name('test.proof.dfuzz.requests'),
      echo: name('test.proof.dfuzz.echo'),
      other: name('test.proof.dfuzz.other'),
      fan: name('test.proof.dfuzz.fan'),
      canary: name('test.proof.dfuzz.canary'),
    };
    const dlq = site.broker === 'amqp' ? `dlq.${q.requests}` : `DLQ.${q.requests}`;
    const token = `canary-${randomBytes(8).toString('hex')}`;
    const tree = recipeTree(q, token);
    root = tree.root;

    const client = await connect(site, opened);
    // The first steps of every recipe the requests may name, in one list.
    const steps: Received[] = [];
    for (const queue of [q.echo, q.other, q.fan]) await collect(client, queue, steps);
    const canary: Received[] = await collect(client, q.canary);
    const dead: Received[] = await collect(client, dlq);
    dispatcher = await startDispatcher(site, {
      'zocalo.recipe_directory': tree.recipes,
      'zocalo.dispatcher.queue': q.requests,
      'zocalo.dispatcher.logbook_location': tree.logbook,
    });

    const sent = new Map<number, Probe>();
    const refused = new Map<number, string>();
    const good: number[] = [];
    let next = 0;
    const sendProbe = async (probe: Probe, n: number): Promise<void> => {
      sent.set(n, probe);
      const headers = { ...probe.headers, 'fuzz-n': String(n) };
      try {
        if (probe.raw !== undefined) await client.rawSend(q.requests, probe.raw, { headers });
        else await client.send(q.requests, probe.body, { headers });
      } catch (error) {
        // Refused at the sender: a typed error about the message, never a connection's fault.
        expect(error).toBeInstanceOf(InvalidArgumentError);
        refused.set(n, (error as Error).name);
      }
    };

    await fc.assert(
      fc.asyncProperty(probes(q, tree.root), async (make) => {
        const n = next++;
        await sendProbe(make(n), n);
        const g = next++;
        good.push(g);
        await sendProbe(
          {
            kind: 'valid',
            body: { recipes: ['echo'], parameters: { fuzz_n: g, guid: `good-${g}`, value: g } },
            expect: 'dispatched',
            fanout: 1,
            check: (e) => (e.environment.ID === `good-${g}` ? undefined : `ID ${String(e.environment.ID)}`),
          },
          g,
        );
      }),
      { seed: FUZZ_SEED, numRuns: FUZZ_RUNS },
    );

    // Outcomes by request number.
    const dispatchedTo = (): Map<number, Received[]> => {
      const by = new Map<number, Received[]>();
      for (const received of steps) {
        // A message we cannot put a number to counts as #-1, which was never sent.
        const n = ((received.message as Envelope | null)?.payload as { n?: unknown } | null)?.n;
        const key = typeof n === 'number' && Number.isInteger(n) ? n : -1;
        by.set(key, [...(by.get(key) ?? []), received]);
      }
      return by;
    };
    const deadFor = (): Map<number, Received[]> => {
      const by = new Map<number, Received[]>();
      for (const received of dead) {
        const n = numberOf(received) ?? -1;
        by.set(n, [...(by.get(n) ?? []), received]);
      }
      return by;
    };
    const canaryNumbers = (): Set<unknown> =>
      new Set(
        canary.map((received) => ((received.message as Envelope).payload as { n?: unknown } | null)?.n),
      );
    const settled = (): boolean => {
      const dispatched = dispatchedTo();
      const deadLettered = deadFor();
      // A canary read counts as an outcome here (a failure below), so that it is reported at once.
      const read = canaryNumbers();
      for (const [n, probe] of sent) {
        if (refused.has(n) || deadLettered.has(n) || read.has(n)) continue;
        const got = dispatched.get(n)?.length ?? 0;
        if (got === 0 || got < (probe.fanout ?? 1)) return false;
      }
      return true;
    };
    await poll(settled, 90_000, 'every request to be dispatched, dead-lettered or refused').catch(
      (error: unknown) => {
        const dispatched = dispatchedTo();
        const deadLettered = deadFor();
        const missing = [...sent]
          .filter(
            ([n, probe]) =>
              !refused.has(n) &&
              !deadLettered.has(n) &&
              (dispatched.get(n)?.length ?? 0) < (probe.fanout ?? 1),
          )
          .slice(0, 5)
          .map(
            ([n, probe]) => `#${n} ${probe.kind} ${JSON.stringify(probe.body ?? probe.raw)?.slice(0, 300)}`,
          );
        throw new Error(
          `${(error as Error).message}; lost:\n${missing.join('\n')}\n${dispatcher?.healthy() ?? ''}`,
        );
      },
    );
    await sleep(1000); // room for a duplicate or a late dead letter

    const dispatched = dispatchedTo();
    const deadLettered = deadFor();
    const canaryRead = canaryNumbers();
    const records = dispatcher.records();
    const failures: string[] = [];
    // The reasons, in the order the Dispatcher dead-lettered the requests, which is the order of the
    // dead-letter queue: the k-th dead letter's reason is the k-th. (On RabbitMQ a message id is a
    // delivery tag of the receiving channel, so ids cannot pair them; elsewhere they prove the order.)
    const rejections = records.filter(
      (record) => typeof record.msg === 'string' && record.msg.includes('rejected and dead-lettered'),
    );
    const reasonOf = new Map<Received, string>();
    if (rejections.length !== dead.length) {
      failures.push(`${dead.length} dead letters, but ${rejections.length} reasons logged`);
    }
    dead.forEach((letter, k) => {
      const rejection = rejections[k];
      if (rejection === undefined) return;
      if (site.broker !== 'amqp' && String(rejection.messageId) !== String(letter.header['message-id'])) {
        failures.push(
          `dead letter ${k} is ${String(letter.header['message-id'])}, reason ${k} names ${String(rejection.messageId)}`,
        );
      }
      reasonOf.set(letter, String(rejection.reason));
    });

    const counts = new Map<string, Record<Outcome, number>>();
    for (const [n, probe] of sent) {
      const what = `#${n} ${probe.kind} ${(JSON.stringify(probe.body ?? probe.raw) ?? String(probe.body)).slice(0, 200)}`;
      if (canaryRead.has(n)) {
        failures.push(`${what}: read a recipe outside the recipe directory`);
        continue;
      }
      const kinds: Outcome[] = [];
      if (refused.has(n)) kinds.push('refused');
      if (deadLettered.has(n)) kinds.push('dead-lettered');
      if (dispatched.has(n)) kinds.push('dispatched');
      if (kinds.length !== 1) {
        failures.push(`${what}: ${kinds.join(' and ') || 'lost'}`);
        continue;
      }
      const [outcome] = kinds;
      const tally = counts.get(probe.kind) ?? { dispatched: 0, 'dead-lettered': 0, refused: 0 };
      tally[outcome] += 1;
      counts.set(probe.kind, tally);
      const expected = { dispatched: 'dispatched', 'dead-lettered': 'dead', refused: 'refused' }[outcome];
      if (probe.expect !== 'any' && probe.expect !== expected)
        failures.push(`${what}: ${outcome}, expected ${probe.expect}`);
      if (outcome === 'dead-lettered') {
        const letters = deadLettered.get(n)!;
        if (letters.length !== 1) failures.push(`${what}: dead-lettered ${letters.length} times`);
        const said = reasonOf.get(letters[0]);
        if (said === undefined) failures.push(`${what}: dead-lettered without a logged reason`);
        else if (probe.reason && !probe.reason.test(said)) {
          failures.push(`${what}: reason ${said.slice(0, 300)} does not match ${probe.reason}`);
        }
      }
      if (outcome === 'dispatched') {
        const messages = dispatched.get(n)!;
        if (probe.fanout !== undefined && messages.length !== probe.fanout) {
          failures.push(`${what}: ${messages.length} first-step messages, expected ${probe.fanout}`);
        }
        const problem = probe.check?.(messages[0].message as Envelope);
        if (problem) failures.push(`${what}: ${problem}`);
      }
    }

    // Nothing dead-lettered or dispatched that was not sent; the canary never read.
    for (const n of [...dispatched.keys(), ...deadLettered.keys()]) {
      if (!sent.has(n)) failures.push(`a message for #${n}, which was never sent`);
    }
    const everything = [
      dispatcher.text(),
      ...filesUnder(tree.logbook).map((file) => readFileSync(file, 'utf8')),
    ];
    if ([...steps, ...dead].some((received) => holds(received.message, token))) {
      failures.push('the canary token appears in a message');
    }
    if (canary.length > 0) failures.push(`${canary.length} messages reached the canary queue`);
    if (everything.some((text) => text.includes(token)))
      failures.push('the canary token appears in the log or the logbook');
    const logbookEscapes = filesUnder(tree.root).filter(
      (file) =>
        !file.startsWith(tree.logbook) && !file.startsWith(tree.recipes) && !/canary|passwd/.test(file),
    );
    if (logbookEscapes.length > 0)
      failures.push(`files written outside the logbook: ${logbookEscapes.join(', ')}`);
    // Never released for another try: every hostile request met a verdict the first time.
    const released = records.filter((record) => String(record.msg).includes('released for redelivery'));
    if (released.length > 0)
      failures.push(
        `released for redelivery: ${released
          .slice(0, 3)
          .map((r) => JSON.stringify(r).slice(0, 400))
          .join('\n')}`,
      );
    const health = dispatcher.healthy();
    if (health) failures.push(health);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const seconds = (performance.now() - started) / 1000;
    const total = { dispatched: 0, 'dead-lettered': 0, refused: 0 };
    for (const tally of counts.values())
      for (const key of Object.keys(total) as Outcome[]) total[key] += tally[key];
    const valid = counts.get('valid');
    process.stdout.write(
      `${site.label} Dispatcher requests (seed ${FUZZ_SEED}, ${seconds.toFixed(1)} s): ${sent.size - good.length} hostile — ` +
        `${total.dispatched - (valid?.dispatched ?? 0)} dispatched, ${total['dead-lettered']} dead-lettered with a reason, ` +
        `${total.refused} refused at the sender (${[...new Set(refused.values())].join(', ') || 'none'}); ` +
        `${valid?.dispatched ?? 0}/${good.length} valid ones dispatched once; canary never read\n` +
        [...counts]
          .filter(([kind]) => kind !== 'valid')
          .sort(([a], [b]) => a.localeCompare(b))
          .map(
            ([kind, tally]) =>
              `  ${kind}: ${tally.dispatched} dispatched, ${tally['dead-lettered']} dead-lettered, ${tally.refused} refused`,
          )
          .join('\n') +
        '\n',
    );
    expect(failures).toEqual([]);
    for (const g of good) expect(dispatched.get(g)).toHaveLength(1);
  });
});
