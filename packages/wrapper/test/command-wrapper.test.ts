import { RecipeWrapper } from '@zocalo/recipes';
import type { RecipeDocument } from '@zocalo/recipes';
import type { MessageBody } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport, RecordingLogger } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import type { RunWrapperOptions } from '../src';
import { CommandWrapper, runWrapper } from '../src';

const logger = new RecordingLogger();

// Reads the step's input on stdin; prints x + y and the recipe ID from its environment.
const ADD = `let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{const i=JSON.parse(s);
console.log(JSON.stringify({sum:i.parameters.x+i.payload.y,id:process.env.ZOCALO_RECIPE_ID,pointer:i['recipe-pointer']}))})`;
const FAIL = `process.stderr.write('boom\\n');console.log('{"partial":true}');process.exit(4)`;

let broker: MemoryBroker;
let transport: MemoryTransport;

beforeEach(async () => {
  broker = new MemoryBroker();
  transport = new MemoryTransport({ broker, logger });
  await transport.connect();
});

afterEach(async () => {
  await transport.disconnect();
});

function wrapper(recipe: RecipeDocument): RecipeWrapper {
  return RecipeWrapper.fromMessage(
    { recipe, 'recipe-pointer': 1, 'recipe-path': [], environment: { ID: 'wrap-id' }, payload: { y: 2 } },
    transport,
  );
}

async function collect(queue: string): Promise<MessageBody[]> {
  const received: MessageBody[] = [];
  await transport.subscribe(
    queue,
    (_header, message) => void received.push((message as { payload: unknown }).payload),
  );
  return received;
}

const steps: RecipeDocument = {
  '1': {
    service: 'Add',
    queue: 'w.add',
    parameters: { x: 5 },
    output: 2,
    error: 3,
    wrapper: { task_information: 'x+y' },
  },
  '2': { queue: 'w.out' },
  '3': { queue: 'w.err' },
  start: [[1, null]],
};

/** `zocalo wrap --wrap command -- COMMAND ARGS...`, as a library call. */
function wrapStep(
  options: Omit<RunWrapperOptions, 'wrapper' | 'args'> & { command: string; args?: string[] },
) {
  const { command, args = [], ...rest } = options;
  return runWrapper({ ...rest, wrapper: 'command', args: [command, ...args] });
}

afterEach(() => {
  CommandWrapper.stderr = (chunk) => void process.stderr.write(chunk);
});

describe('the command wrapper', () => {
  it("gives the program the step's input and sends its JSON result to the step's outputs", async () => {
    const out = await collect('w.out');
    const err = await collect('w.err');
    const result = await wrapStep({
      transport,
      recipeWrapper: wrapper(steps),
      command: process.execPath,
      args: ['-e', ADD],
      logger,
    });
    expect(result).toMatchObject({
      success: true,
      exitCode: 0,
      payload: { exit_code: 0, result: { sum: 7, id: 'wrap-id', pointer: 1 } },
      task: 'node (x+y)',
    });
    await until(() => out.length === 1);
    expect(out).toEqual([{ exit_code: 0, result: { sum: 7, id: 'wrap-id', pointer: 1 } }]);
    expect(err).toEqual([]);
  });

  it('sends a failure (exit code, stdout, stderr) to the error steps', async () => {
    const out = await collect('w.out');
    const err = await collect('w.err');
    const stderr: string[] = [];
    CommandWrapper.stderr = (chunk) => void stderr.push(chunk.toString());
    const result = await wrapStep({
      transport,
      recipeWrapper: wrapper(steps),
      command: process.execPath,
      args: ['-e', FAIL],
      logger,
    });
    expect(result).toMatchObject({
      success: false,
      outcome: 'failure',
      exitCode: 4,
      error: 'node exited with code 4',
    });
    await until(() => err.length === 1);
    expect(err).toEqual([
      { exit_code: 4, result: { partial: true }, error: 'node exited with code 4', stderr: 'boom\n' },
    ]);
    expect(out).toEqual([]);
    expect(stderr.join('')).toBe('boom\n');
  });

  it("uses python-zocalo's named outputs: starting, success / failure, completed", async () => {
    const named: RecipeDocument = {
      '1': { queue: 'w.step', output: { starting: 2, success: 3, failure: 4, completed: 5 } },
      '2': { queue: 'w.starting' },
      '3': { queue: 'w.success' },
      '4': { queue: 'w.failure' },
      '5': { queue: 'w.completed' },
      start: [[1, null]],
    };
    const [starting, success, failure, completed] = await Promise.all(
      ['w.starting', 'w.success', 'w.failure', 'w.completed'].map(collect),
    );
    await wrapStep({
      transport,
      recipeWrapper: wrapper(named),
      command: process.execPath,
      args: ['-e', 'console.log(1)'],
      logger,
    });
    await wrapStep({ transport, recipeWrapper: wrapper(named), command: './no-such-program', logger });
    await until(() => completed.length === 2);
    expect(starting).toEqual(['Starting processing', 'Starting processing']);
    expect(success).toEqual([{ exit_code: 0, result: 1 }]);
    expect(failure).toEqual([
      { exit_code: null, result: null, error: 'cannot run ./no-such-program: ENOENT', stderr: '' },
    ]);
    expect(completed).toEqual(['Finished processing', 'Finished processing']);
  });

  it('broadcasts its status while the program runs: starting, processing, then shutdown', async () => {
    const statuses: Array<Record<string, unknown>> = [];
    await transport.subscribeBroadcast('transient.status', (_header, message) => {
      statuses.push(message as Record<string, unknown>);
    });
    await wrapStep({
      transport,
      recipeWrapper: wrapper(steps),
      command: process.execPath,
      args: ['-e', 'setTimeout(() => console.log("{}"), 250)'],
      statusInterval: 0.1,
      hostId: 'uk.ac.diamond.ws1.42',
      logger,
    });
    await until(() => statuses.some((status) => status.status === 6));
    // As python-zocalo: the first broadcast names the wrapper, then the task it runs.
    expect(statuses[0]).toMatchObject({
      host: 'uk.ac.diamond.ws1.42',
      task: 'command',
      status: 1,
      statustext: 'starting',
      workflows: expect.any(String),
      zocalo: expect.any(String),
    });
    expect(statuses[0]).not.toHaveProperty('service');
    const processing = statuses.filter((status) => status.status === 4);
    expect(processing.every((status) => status.task === 'node (x+y)')).toBe(true);
    expect(processing.length).toBeGreaterThanOrEqual(2); // repeated every interval while it runs
    expect(statuses.at(-1)).toMatchObject({ status: 6, statustext: 'shutdown' });
  });

  it('stops the program with SIGTERM when told to stop, and reports a failure', async () => {
    const failure = await collect('w.err');
    const stop = new AbortController();
    const running = wrapStep({
      transport,
      recipeWrapper: wrapper(steps),
      command: process.execPath,
      args: ['-e', 'process.stdout.write("{}"); setTimeout(() => {}, 60000)'],
      logger,
      signal: stop.signal,
    });
    setTimeout(() => stop.abort('SIGTERM'), 300);
    const result = await running;
    expect(result).toMatchObject({
      success: false,
      outcome: 'stopped',
      exitCode: 1,
      error: 'processing stopped by SIGTERM',
    });
    await until(() => failure.length === 1);
    expect(failure[0]).toMatchObject({ exit_code: null, error: 'node was terminated by SIGTERM' });
  });

  it('needs a program', async () => {
    const failure = await collect('w.failure');
    const named: RecipeDocument = {
      '1': { queue: 'w.step', output: { failure: 2 } },
      '2': { queue: 'w.failure' },
      start: [[1, null]],
    };
    const result = await runWrapper({ wrapper: 'command', transport, recipeWrapper: wrapper(named), logger });
    expect(result).toMatchObject({ success: false, outcome: 'error', exitCode: 1 });
    await until(() => failure.length === 1);
    expect(failure).toEqual([
      'the command wrapper needs a program to run: zocalo wrap --wrap command -- PROGRAM [ARGS...]',
    ]);
  });
});
