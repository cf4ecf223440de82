/**
 * A recipe fan-out under the service runtime's output limits (#24): every output of a fan-out carries
 * the whole recipe, so a 10,000-way fan-out of a 0.6 MB message is about 6 GB of outputs, and the
 * process died of heap exhaustion building them. The wrapper refuses such a fan-out before sending any
 * of it, and the runtime dead-letters the message with the reason.
 */
import {
  MemoryBroker,
  MemoryTransport,
  OutputLimitError,
  PermanentError,
  RecordingLogger,
  ServiceRuntime,
  defineService,
  encodeBody,
} from '@zocalo/workflows';
import type { OutputBudget, ServiceRuntimeOptions } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { RECIPE_HEADER, Recipe, RecipeWrapper, recipeHandler } from '../src';
import type { RecipeDocument } from '../src';

/** Sends past this many mean the fan-out was not refused up front: stop before it eats the heap. */
const GUARD = 100;

let broker: MemoryBroker;
let client: MemoryTransport;
let runtime: ServiceRuntime | undefined;
let logger: RecordingLogger;
/** Fan-out sends that reached the service's transport (middleware runs before it encodes them). */
let fannedOut: number;

beforeEach(async () => {
  broker = new MemoryBroker();
  logger = new RecordingLogger();
  client = new MemoryTransport({ broker, logger: new RecordingLogger() });
  await client.connect();
  fannedOut = 0;
});

afterEach(async () => {
  runtime?.stop();
  await runtime?.run();
  runtime = undefined;
  await client.disconnect();
  broker.reset();
});

/** Step 1 (`fan`) sends to steps 2..width+1 (`per.image`). */
function fanOut(width: number): RecipeDocument {
  const document: Record<string, unknown> = {};
  const output: number[] = [];
  for (let step = 2; step <= width + 1; step++) {
    document[step] = { service: 'Per-image analysis', queue: 'per.image' };
    output.push(step);
  }
  document[1] = { service: 'Fan out', queue: 'fan', output };
  document.start = [[1, { images: width }]];
  return document as RecipeDocument;
}

function envelope(document: RecipeDocument, id: string): unknown {
  return { recipe: document, 'recipe-pointer': 1, 'recipe-path': [], environment: { ID: id }, payload: {} };
}

async function run(options: Partial<ServiceRuntimeOptions> = {}): Promise<string[]> {
  const handled: string[] = [];
  const transport = new MemoryTransport({ broker, logger });
  transport.use({
    send: (outgoing, next) => {
      if (outgoing.destination === 'per.image' && ++fannedOut > GUARD) {
        throw new PermanentError(`guard: ${GUARD} fan-out sends were let through (expected by no test)`);
      }
      return next(outgoing);
    },
  });
  runtime = new ServiceRuntime(
    defineService({
      name: 'FanOut',
      async initializing(ctx) {
        await ctx.subscribe(
          'fan',
          recipeHandler(async (rw) => {
            handled.push(rw.recipeId!);
            await rw.send({ image: 1 });
          }),
        );
      },
    }),
    { transport, logger, commandTopic: false, ...options },
  );
  void runtime.run();
  await until(() => broker.stats('fan').consumers === 1);
  return handled;
}

function reasons(): unknown[] {
  return logger.at('error').map((record) => record.fields.reason);
}

describe('a recipe fan-out under the output limits', () => {
  test('a 10,000-way fan-out of a 0.6 MB message under the default limits: refused before any of it is sent, dead-lettered with the reason; the message behind it processed', async () => {
    const big = envelope(fanOut(10_000), 'big');
    const size = Buffer.byteLength(encodeBody(big));
    expect(size).toBeGreaterThan(600_000);
    const handled = await run();
    await client.send('fan', big, { headers: { [RECIPE_HEADER]: true } });
    await client.send('fan', envelope(fanOut(2), 'small'), { headers: { [RECIPE_HEADER]: true } });
    const started = performance.now();
    await until(() => broker.stats('per.image').depth === 2, 10_000);
    const seconds = (performance.now() - started) / 1000;

    expect(handled).toEqual(['big', 'small']);
    expect(fannedOut).toBe(2); // the small one's: not one of the big one's
    expect(broker.stats('DLQ.fan').depth).toBe(1);
    const [dead] = broker.queue('DLQ.fan').takeAll();
    expect(JSON.parse(String(dead.body))).toMatchObject({ environment: { ID: 'big' } });
    const [reason] = reasons();
    expect(reasons()).toHaveLength(1);
    expect(reason).toMatch(
      /^OutputLimitError: maxOutputBytesPerMessage limits the outputs of one message to 268435456 bytes \(256\.0 MiB\); recipe step 1's output to 10000 steps \(10000 messages of 6\d{5} bytes: each carries the whole recipe\) would make them 6\d{9} bytes \(6\d{3}\.\d MiB\), so it was refused before it was sent\./,
    );
    const [record] = logger.at('error');
    expect(record.fields).toMatchObject({ recipe_ID: 'big', destination: 'fan' });
    expect(record.fields.err).toMatchObject({ limit: 'bytes', setting: 'maxOutputBytesPerMessage' });
    // One encoding of one output, not 6 GB of them (the recipe's own validation takes most of it).
    expect(seconds).toBeLessThan(5);
  });

  test('the fan-out is counted once: as many steps as maxOutputsPerMessage go out, one more is refused up front', async () => {
    await run({ maxOutputsPerMessage: 3 });
    await client.send('fan', envelope(fanOut(3), 'fits'), { headers: { [RECIPE_HEADER]: true } });
    await client.send('fan', envelope(fanOut(4), 'too-wide'), { headers: { [RECIPE_HEADER]: true } });
    await until(() => broker.stats('DLQ.fan').depth === 1);
    expect(broker.stats('per.image').depth).toBe(3);
    expect(fannedOut).toBe(3);
    expect(reasons()).toEqual([
      expect.stringMatching(
        /^OutputLimitError: maxOutputsPerMessage limits the outputs of one message to 3 messages; recipe step 1's output to 4 steps would make them 4 messages/,
      ),
    ]);
  });
});

describe('RecipeWrapper with an output budget', () => {
  /** A budget that records what it is asked and allows `maxOutputs` messages and `maxOutputBytes`. */
  function budget(maxOutputs: number, maxOutputBytes: number): OutputBudget & { asked: number[][] } {
    const asked: number[][] = [];
    return {
      maxOutputs,
      maxOutputBytes,
      outputs: 0,
      outputBytes: 0,
      asked,
      check(count, bytes = 0, what) {
        asked.push([count, bytes]);
        if (count > maxOutputs)
          throw new OutputLimitError('outputs', maxOutputs, 'maxOutputsPerMessage', count, what);
        if (bytes > maxOutputBytes) {
          throw new OutputLimitError('bytes', maxOutputBytes, 'maxOutputBytesPerMessage', bytes, what);
        }
      },
    };
  }

  test('a fan-out is sized exactly before it is sent; a step with a queue and a topic is two messages', async () => {
    const document: RecipeDocument = {
      1: { service: 'Fan out', queue: 'fan', output: [2, 10] },
      2: { service: 'A', queue: 'a', topic: 'a.news' },
      10: { service: 'B', queue: 'b' },
      start: [[1, {}]],
    };
    const transport = new MemoryTransport({ broker });
    await transport.connect();
    const sizes: number[] = [];
    transport.use({
      send: (outgoing, next) => {
        sizes.push(Buffer.byteLength(encodeBody(outgoing.message)));
        return next(outgoing);
      },
    });
    const limits = budget(10, 1_000_000);
    const wrapper = RecipeWrapper.fromMessage(envelope(document, 'x'), transport, { outputBudget: limits });
    await wrapper.send({ image: 1 });
    expect(sizes).toHaveLength(3);
    expect(limits.asked).toEqual([
      [3, 0],
      [3, sizes[0] + sizes[1] + sizes[2]],
    ]);
    await transport.disconnect();
  });

  test('a start that cannot fit is refused before any of it is sent', async () => {
    const document: RecipeDocument = {
      1: { service: 'A', queue: 'a' },
      2: { service: 'B', queue: 'b' },
      start: [
        [1, { n: 1 }],
        [2, { n: 2 }],
      ],
    };
    const transport = new MemoryTransport({ broker });
    await transport.connect();
    const recipeBytes = Buffer.byteLength(encodeBody(new Recipe(document).toJSON()));
    const starter = RecipeWrapper.fromRecipe(document, transport, {
      outputBudget: budget(10, 2 * recipeBytes - 1),
    });
    await expect(starter.start()).rejects.toThrow(
      new RegExp(
        `^maxOutputBytesPerMessage limits the outputs of one message to ${2 * recipeBytes - 1} bytes; the start of the recipe \\(2 messages of more than ${recipeBytes} bytes`,
      ),
    );
    expect(broker.stats('a').depth + broker.stats('b').depth).toBe(0);
    await transport.disconnect();
  });
});
