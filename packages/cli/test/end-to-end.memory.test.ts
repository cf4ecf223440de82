/**
 * End to end in one process on the memory transport: `zocalo go` (its library function, and the
 * command itself) → Dispatcher → example services → the result on the last queue, with the guid
 * as recipe ID; status broadcasts seen by `zocalo status`; a shutdown command ending services.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '@zocalo/dispatcher';
import { recipeHandler } from '@zocalo/recipes';
import type { MessageBody, ReceivedHeaders, ServiceDefinition } from '@zocalo/workflows';
import {
  MemoryTransport,
  RecordingLogger,
  ServiceRuntime,
  defaultMemoryBroker,
  defineService,
} from '@zocalo/workflows';
import { createWrapperService } from '@zocalo/wrapper';
import { go, runCli, sendShutdown, shutdownCommands } from '../src';
import { FIXTURES, UUID, captureIo, until } from './helpers';

const RECIPES = join(FIXTURES, 'recipes');

interface Received {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
}
type Envelope = {
  environment: { ID: string };
  payload: unknown;
  'recipe-path': number[];
  'recipe-pointer': number;
};

const logger = new RecordingLogger();

/** The example service of the fixture recipe (`{prefix}.double`), as test/fixtures/example-services.mjs. */
function exampleDoubler(prefix: string): ServiceDefinition {
  return defineService({
    name: 'ExampleDoubler',
    async initializing(ctx) {
      await ctx.subscribe(
        `${prefix}.double`,
        recipeHandler(async (rw) => {
          const value = Number((rw.payload as { value: unknown }).value);
          const factor = Number(rw.recipeStep?.parameters?.factor ?? 2);
          await rw.send({ value, result: value * factor });
        }),
      );
    },
  });
}

let runtimes: ServiceRuntime[] = [];
let client: MemoryTransport;

function start(service: ServiceDefinition): ServiceRuntime {
  // No `broker`: the process-wide memory broker, which the in-process `zocalo` commands use too.
  const runtime = new ServiceRuntime(service, {
    transport: new MemoryTransport({ logger }),
    logger,
    statusInterval: 0.2,
    idleDelay: 0,
  });
  runtimes.push(runtime);
  void runtime.run();
  return runtime;
}

async function collect(queue: string): Promise<Received[]> {
  const received: Received[] = [];
  await client.subscribe(queue, (header, message) => void received.push({ header, message }));
  return received;
}

beforeEach(async () => {
  client = new MemoryTransport({ logger });
  await client.connect();
});

afterEach(async () => {
  for (const runtime of runtimes) runtime.stop();
  await Promise.all(runtimes.map((runtime) => runtime.run().catch(() => undefined)));
  runtimes = [];
  await client.disconnect();
  defaultMemoryBroker().reset();
});

describe('end to end on the memory transport', () => {
  it('zocalo go → Dispatcher → example service → the last queue, with the guid as recipe ID', async () => {
    const collected = await collect('e2e.collect');
    start(new Dispatcher({ recipeDirectory: RECIPES }));
    start(exampleDoubler('e2e'));
    await until(() => defaultMemoryBroker().stats('e2e.double').consumers === 1);

    const { guid, request } = await go(client, {
      recipes: ['double'],
      parameters: { prefix: 'e2e', value: '21', factor: 3 },
    });
    expect(guid).toMatch(UUID);
    expect(request).toEqual({
      recipes: ['double'],
      parameters: { prefix: 'e2e', value: '21', factor: 3, guid },
    });
    await until(() => collected.length === 1);
    const envelope = collected[0].message as Envelope;
    expect(envelope.payload).toEqual({ value: 21, result: 63 });
    expect(envelope.environment).toEqual({ ID: guid });
    expect(envelope['recipe-pointer']).toBe(2);
    expect(envelope['recipe-path']).toEqual([1]);
    expect(collected[0].header['workflows-recipe']).toBe(true);
  });

  it('accepts a request in the JSON python-zocalo sends, as it is', async () => {
    const collected = await collect('py.collect');
    start(new Dispatcher({ recipeDirectory: RECIPES }));
    start(exampleDoubler('py'));
    await until(() => defaultMemoryBroker().stats('py.double').consumers === 1);
    // zocalo.go's message, as json.dumps writes it, with its headers.
    await client.rawSend(
      'processing_recipe',
      '{"recipes": ["double"], "parameters": {"prefix": "py", "value": "5", "factor": "4", "guid": "0d5c8a52-2b1e-4c55-9d6a-7d3f1b2c9e10"}}',
      { headers: { 'zocalo.go.user': 'abc12345', 'zocalo.go.host': 'ws123.diamond.ac.uk' } },
    );
    await until(() => collected.length === 1);
    const envelope = collected[0].message as Envelope;
    expect(envelope.payload).toEqual({ value: 5, result: 20 });
    expect(envelope.environment).toEqual({ ID: '0d5c8a52-2b1e-4c55-9d6a-7d3f1b2c9e10' });
  });

  it('runs the zocalo go command itself (in-process, same broker) through to the result', async () => {
    const collected = await collect('cmd.collect');
    start(new Dispatcher({ recipeDirectory: RECIPES }));
    start(exampleDoubler('cmd'));
    await until(() => defaultMemoryBroker().stats('cmd.double').consumers === 1);
    const io = captureIo();
    const code = await runCli(
      ['node', 'zocalo', 'go', 'double', '-p', 'prefix=cmd', '-p', 'value=7', '-t', 'memory', '-q'],
      io,
    );
    // -q silences the line saying where it sends, not the warning that memory dies with the process.
    expect({ code, err: io.err.join('') }).toEqual({
      code: 0,
      err: expect.stringMatching(/^zocalo go: warning: the memory transport lives in this process only/),
    });
    expect(io.err).toHaveLength(1);
    const guid = io.out.join('').trim();
    expect(guid).toMatch(UUID);
    await until(() => collected.length === 1);
    expect((collected[0].message as Envelope).environment.ID).toBe(guid);
    expect((collected[0].message as Envelope).payload).toEqual({ value: 7, result: 14 });
  });

  it('zocalo go → Dispatcher → zocalo wrap (run for the step, as a cluster job would be) → the success step', async () => {
    const [starting, success, completed] = await Promise.all(
      ['starting', 'success', 'completed'].map((output) => collect(`mwrap.wrap-${output}`)),
    );
    start(new Dispatcher({ recipeDirectory: RECIPES }));
    // What a cluster submission service does: the step's message to a file, `zocalo wrap` for it.
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-e2e-wrap-'));
    const runs: Array<Promise<number>> = [];
    await client.subscribe('mwrap.wrap-submit', (_header, message) => {
      writeFileSync(join(dir, 'step.json'), JSON.stringify(message));
      const argv = ['wrap', '--wrap', 'dummy', '--recipewrapper', join(dir, 'step.json'), '-t', 'memory'];
      runs.push(runCli(['node', 'zocalo', ...argv], captureIo()));
    });
    const { guid } = await go(client, {
      recipes: ['wrapped'],
      parameters: { prefix: 'mwrap', service: 'cluster' },
    });
    await until(() => completed.length === 1);
    expect(await Promise.all(runs)).toEqual([0]);
    expect(starting.map((received) => (received.message as Envelope).payload)).toEqual([
      'Starting processing',
    ]);
    expect(success.map((received) => (received.message as Envelope).payload)).toEqual([
      'Finished processing',
    ]);
    expect((success[0].message as Envelope).environment.ID).toBe(guid);
  });

  it('zocalo go → Dispatcher → the wrapper service → the success step, with the wrapper’s status', async () => {
    const [success, failure] = await Promise.all(
      ['success', 'failure'].map((output) => collect(`swrap.wrap-${output}`)),
    );
    const statuses: Array<Record<string, unknown>> = [];
    await client.subscribeBroadcast('transient.status', (_header, message) => {
      statuses.push(message as Record<string, unknown>);
    });
    start(new Dispatcher({ recipeDirectory: RECIPES }));
    start(createWrapperService({ storage: { 'zocalo.wrapper.queue': 'swrap.wrap-submit' } }));
    await until(() => defaultMemoryBroker().stats('swrap.wrap-submit').consumers === 1);
    await go(client, { recipes: ['wrapped'], parameters: { prefix: 'swrap', service: 'WrapperService' } });
    await until(() => success.length === 1);
    expect((success[0].message as Envelope).payload).toBe('Finished processing');
    expect(failure).toEqual([]);
    expect(statuses.map((status) => status.task)).toContain('dummy (swrap) (still running)');
  });

  it('shows running services in zocalo status --once --json', async () => {
    start(new Dispatcher({ recipeDirectory: RECIPES }));
    start(exampleDoubler('status'));
    const io = captureIo();
    const code = await runCli(
      ['node', 'zocalo', 'status', '--once', '--json', '--wait', '0.6', '-t', 'memory'],
      io,
    );
    expect(code).toBe(0);
    const entries = JSON.parse(io.out.join('')) as Array<Record<string, unknown>>;
    expect(entries.map((entry) => [entry.service, entry.statustext])).toEqual([
      ['Dispatcher', 'idle'],
      ['ExampleDoubler', 'idle'],
    ]);
    expect(entries[0].host).toBe(runtimes[0].hostId);
  });

  it('stops the services a shutdown command names', async () => {
    const dispatcher = start(new Dispatcher({ recipeDirectory: RECIPES }));
    const doubler = start(exampleDoubler('stop'));
    await until(() => defaultMemoryBroker().stats('stop.double').consumers === 1);
    await sendShutdown(client, shutdownCommands([], ['ExampleDoubler']));
    await doubler.run();
    expect(doubler.state).toBe(6);
    expect(dispatcher.state).toBe(2);
  });
});
