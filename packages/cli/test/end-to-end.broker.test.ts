/**
 * End to end on a real broker, across processes, with the built `zocalo` bin: the Dispatcher and an
 * example service each run as `zocalo service` in a process of their own, requests come from
 * `zocalo go` in another, and this process collects the results. Then `zocalo status`, `zocalo
 * wrap` and `zocalo shutdown` against the same services.
 *
 * One block per broker transport. A transport whose package does not load yet is reported as a
 * skipped test saying so (a missing broker, on the other hand, fails: see @zocalo/test-brokers).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerKind } from '@zocalo/test-brokers';
import { BROKER_SETTINGS, rabbitManagement, requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { MessageBody, Transport } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';
import { BROKER_FLAGS, CLI_DIR, FIXTURES, UUID, startZocalo, tempDirectory, until, zocalo } from './helpers';
import type { RunningZocalo } from './helpers';

const RECIPES = join(FIXTURES, 'recipes');

const BROKERS: Record<
  BrokerKind,
  { flags: readonly string[]; settings: Record<string, unknown>; pkg: string }
> = {
  amqp: {
    flags: BROKER_FLAGS.amqp,
    settings: BROKER_SETTINGS.amqp,
    pkg: '@zocalo/transport-amqp',
  },
  stomp: {
    flags: BROKER_FLAGS.stomp,
    settings: BROKER_SETTINGS.stomp,
    pkg: '@zocalo/transport-stomp',
  },
};

/** Why the built transport package does not load in a plain Node process, or undefined if it does. */
function loadProblem(pkg: string): string | undefined {
  const result = spawnSync(
    process.execPath,
    ['-e', `import(${JSON.stringify(pkg)}).catch((e) => { console.error(e.message); process.exit(1); })`],
    {
      cwd: CLI_DIR,
      encoding: 'utf8',
    },
  );
  return result.status === 0 ? undefined : result.stderr.trim().split('\n')[0];
}

type Envelope = { environment: { ID: string }; payload: unknown; 'recipe-path': number[] };

/** The named outputs of the wrapped step of fixtures/recipes/wrapped.json, each a queue. */
const WRAP_OUTPUTS = ['wrap-starting', 'wrap-success', 'wrap-failure', 'wrap-completed'];

for (const kind of (process.env.ZOCALO_CLI_E2E ?? 'amqp,stomp').split(',') as BrokerKind[]) {
  const broker = BROKERS[kind];
  const problem = loadProblem(broker.pkg);
  if (problem !== undefined) {
    describe(`end to end on ${kind}`, () => {
      // A transport package that does not load fails the run: a broker test never skips.
      it(`loads ${broker.pkg}`, () => {
        throw new Error(`${broker.pkg} does not load (${problem}); the end-to-end test cannot run`);
      });
    });
    continue;
  }

  describe(`end to end on ${kind}, across processes`, () => {
    const prefix = uniqueName(`cli-e2e-${kind}`);
    const requests = `${prefix}.processing_recipe`;
    let transport: Transport;
    let dispatcher: RunningZocalo;
    let doubler: RunningZocalo;
    const received = new Map<string, MessageBody[]>();

    const collect = async (queue: string): Promise<void> => {
      received.set(queue, []);
      await transport.subscribe(queue, (_header, message) => void received.get(queue)!.push(message));
    };
    const messages = (queue: string): Envelope[] => (received.get(queue) ?? []) as Envelope[];

    beforeAll(async () => {
      await requireBroker(kind);
      await import(broker.pkg);
      transport = await createTransport(kind, broker.settings);
      await transport.connect();
      for (const queue of ['collect', 'wrap-out', 'errors', ...WRAP_OUTPUTS])
        await collect(`${prefix}.${queue}`);
      dispatcher = startZocalo([
        'service',
        'Dispatcher',
        ...broker.flags,
        '-s',
        `zocalo.recipe_directory=${RECIPES}`,
        '-s',
        `zocalo.dispatcher.queue=${requests}`,
      ]);
      doubler = startZocalo([
        'service',
        './test/fixtures/example-services.mjs',
        ...broker.flags,
        '-s',
        `example.prefix=${prefix}`,
      ]);
      await Promise.all([
        dispatcher.waitFor(/"msg":"service started"/),
        doubler.waitFor(/"msg":"service started"/),
      ]);
    });

    afterAll(async () => {
      for (const service of [dispatcher, doubler]) {
        if (service && service.child.exitCode === null && service.child.signalCode === null)
          service.child.kill('SIGKILL');
      }
      await transport?.disconnect();
      if (kind === 'amqp') {
        for (const queue of [
          'processing_recipe',
          'double',
          'collect',
          'wrap-out',
          'errors',
          'wrap-submit',
          ...WRAP_OUTPUTS,
        ]) {
          await rabbitManagement.deleteQueue(`${prefix}.${queue}`).catch(() => false);
          await rabbitManagement.deleteQueue(`dlq.${prefix}.${queue}`).catch(() => false);
        }
      }
    });

    it('zocalo go → Dispatcher → example service → the last queue, with the guid as recipe ID', async () => {
      const go = await zocalo([
        'go',
        'double',
        '-p',
        `prefix=${prefix}`,
        '-p',
        'value=21',
        '-p',
        'factor:=3',
        '--queue',
        requests,
        '-q',
        ...broker.flags,
      ]);
      expect({ code: go.code, stderr: go.stderr }).toEqual({ code: 0, stderr: '' });
      const guid = go.stdout.trim();
      expect(guid).toMatch(UUID);
      await until(() => messages(`${prefix}.collect`).length === 1, 20000);
      const [result] = messages(`${prefix}.collect`);
      expect(result.payload).toEqual({ value: 21, result: 63 });
      expect(result.environment).toEqual({ ID: guid });
      expect(result['recipe-path']).toEqual([1]);
      expect(dispatcher.output()).toContain(`"recipe_ID":"${guid}"`);
    });

    it('accepts a request in the JSON python-zocalo sends, as it is', async () => {
      const before = messages(`${prefix}.collect`).length;
      await transport.rawSend(
        requests,
        `{"recipes": ["double"], "parameters": {"prefix": "${prefix}", "value": "5", "guid": "1f0e4c1a-7b0e-4b8e-9a65-3c1a2b3c4d5e"}}`,
        { headers: { 'zocalo.go.user': 'abc12345', 'zocalo.go.host': 'ws123.diamond.ac.uk' } },
      );
      await until(() => messages(`${prefix}.collect`).length === before + 1, 20000);
      const result = messages(`${prefix}.collect`)[before];
      expect(result.payload).toEqual({ value: 5, result: 10 });
      expect(result.environment).toEqual({ ID: '1f0e4c1a-7b0e-4b8e-9a65-3c1a2b3c4d5e' });
    });

    it('rejects a malformed request to the dead-letter queue, with the reason logged', async () => {
      await transport.send(requests, { recipes: ['double'], parameters: ['not', 'an', 'object'] });
      await dispatcher.waitFor(
        /message rejected and dead-lettered: Dispatcher rejected malformed message: parameters not given as dictionary/,
      );
      await transport.send(requests, { recipes: ['no-such-recipe'] });
      await dispatcher.waitFor(
        new RegExp(
          `Message references non-existing recipe no-such-recipe\\. Recipe path is ${RECIPES.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`,
        ),
      );
    });

    // Both came back about 11 times every 15 s, for ever; on ActiveMQ the request behind them never came.
    it('dead-letters a 10k-deep parameters request and a 10k-deep guid request with the reason; the request behind them is dispatched', async () => {
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      const before = messages(`${prefix}.collect`).length;
      await transport.rawSend(
        requests,
        `{"recipes": ["double"], "parameters": {"prefix": "${prefix}", "x": ${deep}}}`,
      );
      await transport.rawSend(
        requests,
        `{"recipes": ["double"], "parameters": {"prefix": "${prefix}", "guid": ${deep}}}`,
      );
      await transport.send(requests, {
        recipes: ['double'],
        parameters: { prefix, value: 4, guid: `${prefix}-behind` },
      });
      await until(() => messages(`${prefix}.collect`).length === before + 1, 20000);
      expect(messages(`${prefix}.collect`)[before].environment).toEqual({ ID: `${prefix}-behind` });
      const deadLettered = (): string[] =>
        dispatcher
          .output()
          .split('\n')
          .filter(
            (line) =>
              line.includes('rejected and dead-lettered') &&
              line.includes('nested more than 512 levels deep'),
          );
      await until(() => deadLettered().length >= 2, 20000);
      expect(deadLettered()).toHaveLength(2);
      expect(dispatcher.output()).not.toContain('released for redelivery');
    });

    it('zocalo status sees both services, from another process', async () => {
      const status = await zocalo(['status', '--once', '--json', '--wait', '7', ...broker.flags]);
      expect({
        code: status.code,
        errors: status.stderr.split('\n').filter((l) => l.startsWith('zocalo')),
      }).toEqual({
        code: 0,
        errors: [],
      });
      const entries = JSON.parse(status.stdout) as Array<{
        host: string;
        service: string;
        statustext: string;
      }>;
      const ours = entries.filter(
        (entry) => entry.host === dispatcher.hostId || entry.host === doubler.hostId,
      );
      expect(ours.map((entry) => entry.service).sort()).toEqual(['Dispatcher', 'ExampleDoubler']);
    });

    it('zocalo wrap runs a program as a recipe step and sends its result on, or its failure to the error step', async () => {
      const recipe = {
        '1': { service: 'Add', queue: `${prefix}.wrap`, parameters: { x: 40 }, output: 2, error: 3 },
        '2': { queue: `${prefix}.wrap-out` },
        '3': { queue: `${prefix}.errors` },
        start: [[1, null]],
      };
      const dir = tempDirectory({
        'step.json': {
          recipe,
          'recipe-pointer': 1,
          'recipe-path': [],
          environment: { ID: 'wrapped-1' },
          payload: { y: 2 },
        },
      });
      const add = `let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{const i=JSON.parse(s);console.log(JSON.stringify({sum:i.parameters.x+i.payload.y}))})`;
      const ok = await zocalo([
        'wrap',
        '--recipe-wrapper',
        join(dir, 'step.json'),
        '--wrap',
        process.execPath,
        ...broker.flags,
        '--',
        '-e',
        add,
      ]);
      expect({ code: ok.code, stderr: ok.stderr.split('\n').filter((l) => l.startsWith('zocalo')) }).toEqual({
        code: 0,
        stderr: [],
      });
      await until(() => messages(`${prefix}.wrap-out`).length === 1, 20000);
      expect(messages(`${prefix}.wrap-out`)[0].payload).toEqual({ exit_code: 0, result: { sum: 42 } });
      expect(messages(`${prefix}.wrap-out`)[0].environment).toEqual({ ID: 'wrapped-1' });

      const failed = await zocalo([
        'wrap',
        '--recipe-wrapper',
        join(dir, 'step.json'),
        '--wrap',
        process.execPath,
        ...broker.flags,
        '--',
        '-e',
        'process.exit(5)',
      ]);
      expect(failed.code).toBe(5);
      await until(() => messages(`${prefix}.errors`).length === 1, 20000);
      expect(messages(`${prefix}.errors`)[0].payload).toMatchObject({
        exit_code: 5,
        error: 'node exited with code 5',
      });
    });

    it('zocalo go → Dispatcher → zocalo wrap --wrap dummy (in a process of its own) → the success step', async () => {
      // This process plays the cluster submission service: the step's message to a file, then
      // `zocalo wrap` for it, as a cluster job would run it.
      const dir = tempDirectory();
      const runs: Array<ReturnType<typeof zocalo>> = [];
      const submissions = await transport.subscribe(`${prefix}.wrap-submit`, (_header, message) => {
        const file = join(dir, `step-${runs.length}.json`);
        writeFileSync(file, JSON.stringify(message));
        runs.push(zocalo(['wrap', '--wrap', 'dummy', '--recipewrapper', file, ...broker.flags]));
      });
      const go = await zocalo([
        'go',
        'wrapped',
        '-p',
        `prefix=${prefix}`,
        '-p',
        'service=cluster',
        '--queue',
        requests,
        '-q',
        ...broker.flags,
      ]);
      expect({ code: go.code, stderr: go.stderr }).toEqual({ code: 0, stderr: '' });
      await until(() => messages(`${prefix}.wrap-completed`).length === 1, 20000);
      const [run] = await Promise.all(runs);
      expect({
        code: run.code,
        errors: run.stderr.split('\n').filter((l) => l.startsWith('zocalo')),
      }).toEqual({
        code: 0,
        errors: [],
      });
      expect(messages(`${prefix}.wrap-starting`).map((m) => m.payload)).toEqual(['Starting processing']);
      expect(messages(`${prefix}.wrap-success`).map((m) => m.payload)).toEqual(['Finished processing']);
      expect(messages(`${prefix}.wrap-success`)[0].environment.ID).toBe(go.stdout.trim());
      expect(messages(`${prefix}.wrap-failure`)).toEqual([]);
      await transport.unsubscribe(submissions);
    });

    it('zocalo shutdown --host stops both services, which exit 0', async () => {
      const shutdown = await zocalo([
        'shutdown',
        '--host',
        dispatcher.hostId,
        '--host',
        doubler.hostId,
        ...broker.flags,
      ]);
      expect({ code: shutdown.code, stderr: shutdown.stderr }).toEqual({ code: 0, stderr: '' });
      expect(shutdown.stdout).toBe(`Shutting down ${dispatcher.hostId}\nShutting down ${doubler.hostId}\n`);
      const [first, second] = await Promise.all([dispatcher.exited, doubler.exited]);
      expect([first.code, second.code]).toEqual([0, 0]);
      expect(first.stderr).toContain("received command 'shutdown' via transport layer");
    });
  });
}
