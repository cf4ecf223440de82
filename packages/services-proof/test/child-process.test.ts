/**
 * A service in a child process on the real brokers, chosen by the site configuration alone:
 * killed with SIGKILL mid-message, its message goes to a second instance and is processed once (the
 * first instance's output was sent inside the uncommitted transaction, so none of it arrives); stopped
 * with SIGTERM mid-message, it finishes the message first, runs inShutdown() and exits 0.
 */
import { requireBroker, sleep, until } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import type { Received, Site } from './helpers';
import { ACTIVEMQ, QueueNames, RABBITMQ, ServiceProcess, closeAll, collect, connect } from './helpers';

/** How long the test watches for anything more (a duplicate, a redelivery) once it is done. */
const QUIET_MS = 1000;

describe.each([ACTIVEMQ, RABBITMQ])('a service process on $label', (site: Site) => {
  const opened: Transport[] = [];
  const processes: ServiceProcess[] = [];
  const queues = new QueueNames(site);

  beforeAll(() => requireBroker(site.broker!));
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.stop();
    await closeAll(opened);
    await queues.remove();
  });

  function start(inQueue: string, outQueue: string, holdMs: number): ServiceProcess {
    const child = new ServiceProcess(site, [inQueue, outQueue, String(holdMs)]);
    processes.push(child);
    return child;
  }

  it('killed with SIGKILL mid-message: a second instance gets the message and processes it once, no duplicate output', async () => {
    const inQueue = queues.name('test.proof.kill.in');
    const outQueue = queues.name('test.proof.kill.out');
    const client = await connect(site, opened);
    const outputs: Received[] = await collect(client, outQueue);

    // Two instances compete for the queue; whichever takes the message sends its output (in the
    // message's transaction) and holds the message until it is killed.
    const instances = [start(inQueue, outQueue, 60_000), start(inQueue, outQueue, 60_000)];
    await Promise.all(instances.map((instance) => instance.line(/^ready$/)));
    await client.send(inQueue, { n: 1 });
    await until(
      () => instances.some((instance) => instance.lines.some((line) => line.startsWith('processing 1 '))),
      15_000,
      'an instance to take the message',
    );
    const [first, second] = instances[0].lines.some((line) => line.startsWith('processing'))
      ? instances
      : [instances[1], instances[0]];
    expect(first.lines).toContain('processing 1 redelivered=false');
    expect(second.lines.some((line) => line.startsWith('processing'))).toBe(false);

    first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const [, redelivered] = await second.line(/^processing 1 redelivered=(\w+)$/);
    await second.line(/^done 1$/);
    await until(() => outputs.length >= 1, 15_000, 'the output of the second instance');
    await sleep(QUIET_MS);

    expect(redelivered).toBe('true');
    expect(outputs.map((output) => output.message)).toEqual([{ n: 1, pid: second.pid }]);
    expect(second.lines.filter((line) => line.startsWith('processing'))).toHaveLength(1);
    // The second instance acked it: stopped now, it leaves nothing behind on the input queue.
    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    const left: Received[] = await collect(client, inQueue);
    await sleep(QUIET_MS);
    expect(left).toEqual([]);
  });

  it('stopped with SIGTERM mid-message: finishes it (output sent, input acked), runs inShutdown(), exits 0', async () => {
    const inQueue = queues.name('test.proof.term.in');
    const outQueue = queues.name('test.proof.term.out');
    const client = await connect(site, opened);
    const outputs: Received[] = await collect(client, outQueue);

    const service = start(inQueue, outQueue, 1500);
    await service.line(/^ready$/);
    await client.send(inQueue, { n: 7 });
    await service.line(/^processing 7 /);
    const signalled = Date.now();
    service.kill('SIGTERM');
    const exit = await service.exited;
    const took = Date.now() - signalled;

    expect(exit).toEqual({ code: 0, signal: null });
    // The message in hand was finished first (it still had most of its 1.5 s to go), then inShutdown().
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(service.lines.filter((line) => /^(processing|done|in-shutdown)/.test(line))).toEqual([
      'processing 7 redelivered=false',
      'done 7',
      'in-shutdown',
    ]);
    await until(() => outputs.length >= 1, 15_000, 'the output of the finished message');
    // Nothing is redelivered: a new consumer of the input queue gets nothing.
    const left: Received[] = await collect(client, inQueue);
    await sleep(QUIET_MS);
    expect(outputs.map((output) => output.message)).toEqual([{ n: 7, pid: service.pid }]);
    expect(left).toEqual([]);
    // Its log (the site configuration's pino logger under the runtime): JSON lines with `service`
    // and `host` once each, the runtime's values.
    const records = service.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(records.length).toBeGreaterThan(0);
    for (const line of records) {
      expect([line.match(/"service":/g)?.length, line.match(/"host":/g)?.length]).toEqual([1, 1]);
      expect(JSON.parse(line)).toMatchObject({ service: 'Relay', host: expect.stringMatching(/\.\d+$/) });
    }
  });
});
