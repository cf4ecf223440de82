import { MemoryBroker, RecordingLogger, UnsupportedCapabilityError } from '@zocalo/workflows';
import type { ReceivedHeaders, Transport } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { Recipe, RecipeMessageError, RecipeValidationError, RecipeWrapper, RecipeWrapperError } from '../src';
import type { RecipeDocument } from '../src';
import { memoryTransport, recordingTransport } from './helpers';

// After python-workflows' tests/recipe/test_wrapped_recipe.py
function recipeDocument(): RecipeDocument {
  return {
    '1': {
      service: 'A service',
      queue: 'service.one',
      output: { somewhere: [2], 'multi-output': [2, 3, 4] },
      parameter: 'some {placeholder} to test replacement',
      error: 2,
    },
    '2': { service: 'service 2', queue: 'queue.two', output: [3] },
    '3': { service: 'service 3', topic: 'topic.three', 'transport-delay': 300 },
    '4': { service: 'service 4', queue: 'queue.four', 'transport-delay': 300 },
    start: [[1, { parameter: 'initial' }]],
    error: [2],
  };
}

function message(pointer: number | string = 1, path: number[] = []): Record<string, unknown> {
  return {
    recipe: recipeDocument(),
    'recipe-pointer': pointer,
    'recipe-path': path,
    environment: { ID: 'guid-1234', source: 'test' },
    payload: { data: 'payload' },
  };
}

/** The body a downstream step should receive. */
function downstream(destination: number, payload: unknown, path: number[]): Record<string, unknown> {
  return {
    environment: { ID: 'guid-1234', source: 'test' },
    payload,
    recipe: new Recipe(recipeDocument()).toJSON(),
    'recipe-path': path,
    'recipe-pointer': destination,
  };
}

const HEADERS = { 'workflows-recipe': true };
let broker: MemoryBroker;
let transport: Transport & {
  sent: Array<{ method: string; destination: string; message: unknown; options: unknown }>;
};

beforeEach(async () => {
  broker = new MemoryBroker();
  transport = recordingTransport(await memoryTransport(broker));
});

afterEach(async () => {
  await transport.disconnect();
  broker.reset();
});

describe('RecipeWrapper from a message', () => {
  it('holds the recipe, pointer, step, path, environment and payload', () => {
    const wrapper = RecipeWrapper.fromMessage(message(), transport);
    expect(wrapper.recipe.equals(recipeDocument())).toBe(true);
    expect(wrapper.recipePointer).toBe(1);
    expect(wrapper.recipeStep).toEqual(new Recipe(recipeDocument()).step(1));
    expect(wrapper.recipePath).toEqual([]);
    expect(wrapper.environment).toEqual({ ID: 'guid-1234', source: 'test' });
    expect(wrapper.recipeId).toBe('guid-1234');
    expect(wrapper.payload).toEqual({ data: 'payload' });
    expect(wrapper.transport).toBe(transport);
  });

  it('reads a numeric-string pointer, as Python int() does', () => {
    const wrapper = RecipeWrapper.fromMessage(message('2'), transport);
    expect(wrapper.recipePointer).toBe(2);
    expect(wrapper.recipeStep?.service).toBe('service 2');
  });

  it('defaults a missing path, environment and payload', () => {
    const wrapper = RecipeWrapper.fromMessage({ recipe: recipeDocument(), 'recipe-pointer': 1 });
    expect(wrapper.recipePath).toEqual([]);
    expect(wrapper.environment).toEqual({});
    expect(wrapper.recipeId).toBeUndefined();
    expect(wrapper.payload).toBeNull();
  });

  it('refuses a body that is not a recipe envelope, saying what is wrong', () => {
    expect(() => RecipeWrapper.fromMessage('text')).toThrow(RecipeMessageError);
    expect(() => RecipeWrapper.fromMessage('text')).toThrow(/the body must be a JSON object .* got string/);
    expect(() => RecipeWrapper.fromMessage({ payload: 1 })).toThrow(
      'Invalid recipe message: the body has no "recipe"',
    );
    expect(() => RecipeWrapper.fromMessage({ ...message(), 'recipe-pointer': 'x' })).toThrow(
      'Invalid recipe message: "recipe-pointer" must be a step number, got "x"',
    );
    expect(() => RecipeWrapper.fromMessage(message(9))).toThrow(
      'Invalid recipe message: "recipe-pointer" is 9, but the recipe has no step 9',
    );
    expect(() => RecipeWrapper.fromMessage({ ...message(), 'recipe-path': 'x' })).toThrow(
      'Invalid recipe message: "recipe-path" must be a list of step numbers, got "x"',
    );
    expect(() => RecipeWrapper.fromMessage({ ...message(), environment: [1] })).toThrow(
      'Invalid recipe message: "environment" must be an object, got array',
    );
  });

  it('validates the recipe it carries (fully by default, Python rules only, or not at all)', () => {
    const unreferenced = { ...message(), recipe: { ...recipeDocument(), '5': { queue: 'five' } } };
    expect(() => RecipeWrapper.fromMessage(unreferenced)).toThrow(
      new RecipeValidationError('unreferenced', 'Invalid recipe: Recipe contains unreferenced node "5"'),
    );
    const noDestination = { ...message(), recipe: { ...recipeDocument(), '4': { service: 'x' } } };
    expect(() => RecipeWrapper.fromMessage(noDestination)).toThrow(RecipeValidationError);
    expect(RecipeWrapper.fromMessage(noDestination, undefined, { validate: 'python' }).recipePointer).toBe(1);
    expect(RecipeWrapper.fromMessage(unreferenced, undefined, { validate: false }).recipePointer).toBe(1);
  });
});

describe('RecipeWrapper from a recipe', () => {
  it('has no pointer, step, path or payload, and an environment with a new recipe ID', () => {
    for (const recipe of [recipeDocument(), new Recipe(recipeDocument()), JSON.stringify(recipeDocument())]) {
      const wrapper = RecipeWrapper.fromRecipe(recipe, transport);
      expect(wrapper.recipe.equals(recipeDocument())).toBe(true);
      expect(wrapper.recipePointer).toBeUndefined();
      expect(wrapper.recipeStep).toBeUndefined();
      expect(wrapper.recipePath).toEqual([]);
      expect(wrapper.payload).toBeNull();
      expect(wrapper.recipeId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    const wrapper = RecipeWrapper.fromRecipe(recipeDocument(), transport, {
      environment: { ID: 'mine', x: 1 },
    });
    expect(wrapper.environment).toEqual({ ID: 'mine', x: 1 });
  });

  it('validates the recipe', () => {
    expect(() => RecipeWrapper.fromRecipe({}, transport)).toThrow('Invalid recipe: No recipe defined');
  });
});

describe('RecipeWrapper sends', () => {
  it('sendTo: nothing for an unknown output, the steps of a named output otherwise', async () => {
    const wrapper = RecipeWrapper.fromMessage(message(), transport);
    await wrapper.sendTo('unknown', 'text');
    expect(transport.sent).toEqual([]);
    await wrapper.sendTo('somewhere', 'text');
    expect(transport.sent).toEqual([
      {
        method: 'send',
        destination: 'queue.two',
        message: downstream(2, 'text', [1]),
        options: expect.objectContaining({ headers: HEADERS }),
      },
    ]);
  });

  it('sendTo a fan-out: queues and topics, with transport-delay and the transaction', async () => {
    const wrapper = RecipeWrapper.fromMessage(message(), transport);
    const transaction = await transport.transactionBegin();
    await wrapper.sendTo('multi-output', 'more', { transaction });
    expect(
      transport.sent.map(({ method, destination, message: body, options }) => [
        method,
        destination,
        body,
        options,
      ]),
    ).toEqual([
      [
        'send',
        'queue.two',
        downstream(2, 'more', [1]),
        expect.objectContaining({ headers: HEADERS, transaction, delay: undefined }),
      ],
      [
        'broadcast',
        'topic.three',
        downstream(3, 'more', [1]),
        { headers: HEADERS, transaction, delay: 300, expiration: undefined },
      ],
      [
        'send',
        'queue.four',
        downstream(4, 'more', [1]),
        expect.objectContaining({ headers: HEADERS, transaction, delay: 300 }),
      ],
    ]);
    await transport.transactionAbort(transaction);
  });

  it('send with named outputs: nowhere, unless a default channel is set', async () => {
    const wrapper = RecipeWrapper.fromMessage(message(), transport);
    await wrapper.send('unnamed');
    expect(transport.sent).toEqual([]);
    wrapper.setDefaultChannel('somewhere');
    expect(wrapper.defaultChannel).toBe('somewhere');
    await wrapper.send('unnamed with default');
    expect(transport.sent.map((s) => [s.destination, s.message])).toEqual([
      ['queue.two', downstream(2, 'unnamed with default', [1])],
    ]);
  });

  it('send with unnamed outputs; sendTo uses them only for the default channel', async () => {
    const wrapper = RecipeWrapper.fromMessage(message(2, [1]), transport);
    await wrapper.sendTo('output', 'named');
    expect(transport.sent).toEqual([]);
    await wrapper.send('default');
    wrapper.setDefaultChannel('output');
    await wrapper.sendTo('output', 'named with default');
    expect(transport.sent.map((s) => [s.method, s.destination, s.message, s.options])).toEqual([
      [
        'broadcast',
        'topic.three',
        downstream(3, 'default', [1, 2]),
        expect.objectContaining({ headers: HEADERS, delay: 300 }),
      ],
      [
        'broadcast',
        'topic.three',
        downstream(3, 'named with default', [1, 2]),
        expect.objectContaining({ delay: 300 }),
      ],
    ]);
  });

  it('a step without output sends nothing; a sender delay overrides transport-delay', async () => {
    const last = RecipeWrapper.fromMessage(message(4, [1]), transport);
    await last.send('x');
    await last.sendTo('any', 'x');
    expect(transport.sent).toEqual([]);
    const second = RecipeWrapper.fromMessage(message(2, [1]), transport);
    await second.send('x', { delay: 5, headers: { extra: 'yes', 'workflows-recipe': false } });
    expect(transport.sent[0].options).toEqual(
      expect.objectContaining({ delay: 5, headers: { extra: 'yes', 'workflows-recipe': true } }),
    );
  });

  it('checkpoint: to the current step again, path unchanged, delay 0 unless given', async () => {
    const wrapper = RecipeWrapper.fromMessage(message(3, [1, 2]), transport);
    await wrapper.checkpoint({ state: 1 });
    await wrapper.checkpoint({ state: 2 }, { delay: 150 });
    expect(
      transport.sent.map((s) => [s.method, s.destination, s.message, (s.options as { delay: number }).delay]),
    ).toEqual([
      ['broadcast', 'topic.three', downstream(3, { state: 1 }, [1, 2]), 0],
      ['broadcast', 'topic.three', downstream(3, { state: 2 }, [1, 2]), 150],
    ]);
  });

  it('start: each start payload to its step, once, with an empty path', async () => {
    const wrapper = RecipeWrapper.fromRecipe(recipeDocument(), transport, {
      environment: { ID: 'guid-1234', source: 'test' },
    });
    await wrapper.start();
    expect(transport.sent.map((s) => [s.destination, s.message, s.options])).toEqual([
      [
        'service.one',
        downstream(1, { parameter: 'initial' }, []),
        expect.objectContaining({ headers: HEADERS }),
      ],
    ]);
    await expect(RecipeWrapper.fromMessage(message(), transport).start()).rejects.toThrow(
      new RecipeWrapperError('This recipe has already been started.'),
    );
  });

  it('refuses to send without a transport or a current step, as Python does', async () => {
    const noTransport = RecipeWrapper.fromMessage(message());
    await expect(noTransport.send('x')).rejects.toThrow(
      'This RecipeWrapper object does not contain a reference to a transport object.',
    );
    await expect(noTransport.start()).rejects.toThrow(RecipeWrapperError);
    const notStarted = RecipeWrapper.fromRecipe(recipeDocument(), transport);
    for (const attempt of [
      () => notStarted.send('x'),
      () => notStarted.sendTo('a', 'x'),
      () => notStarted.checkpoint('x'),
    ]) {
      await expect(attempt()).rejects.toThrow(
        'This RecipeWrapper object does not contain a recipe with a selected step.',
      );
    }
  });

  it('an exchange on a transport without exchanges fails clearly, before anything is sent', async () => {
    const document = {
      '1': { queue: 'a', output: 2 },
      '2': { queue: 'b', exchange: 'delayed' },
      start: [[1, {}]],
    };
    const wrapper = RecipeWrapper.fromMessage({ recipe: document, 'recipe-pointer': 1 }, transport);
    await expect(wrapper.send('x')).rejects.toThrow(UnsupportedCapabilityError);
    await expect(wrapper.send('x')).rejects.toThrow(/recipe step 2 publishes to exchange "delayed"/);
    expect(transport.sent).toEqual([]);
  });

  it('passes the exchange to a transport that has exchanges', async () => {
    const withExchange = new Proxy(transport, {
      get: (target, property, receiver) =>
        property === 'capabilities'
          ? { ...target.capabilities, exchange: true }
          : property === 'send'
            ? (queue: string, body: unknown, options: unknown) => {
                target.sent.push({ method: 'send', destination: queue, message: body, options });
                return Promise.resolve();
              }
            : (Reflect.get(target, property, receiver) as unknown),
    });
    const document = {
      '1': { queue: 'a', output: 2 },
      '2': { queue: 'b', exchange: 'delayed' },
      start: [[1, {}]],
    };
    await RecipeWrapper.fromMessage({ recipe: document, 'recipe-pointer': 1 }, withExchange).send('x');
    expect(transport.sent[0].options).toEqual(expect.objectContaining({ exchange: 'delayed' }));
  });

  it('messages really arrive over the memory transport, with the header', async () => {
    const received: Array<[ReceivedHeaders, unknown]> = [];
    await transport.subscribe('queue.two', (header, body) => void received.push([header, body]));
    await RecipeWrapper.fromMessage(message(), transport).sendTo('somewhere', { n: 1 });
    await until(() => received.length === 1);
    expect(received[0][0]['workflows-recipe']).toBe(true);
    expect(received[0][1]).toEqual(downstream(2, { n: 1 }, [1]));
  });

  it('logs through a child logger that carries the recipe ID', () => {
    const logger = new RecordingLogger();
    const child = jest.spyOn(logger, 'child');
    const wrapper = RecipeWrapper.fromMessage(message(), transport, { logger });
    wrapper.log.info({}, 'hello');
    expect(wrapper.log).toBe(wrapper.log);
    expect(child.mock.calls).toEqual([[{ recipe_ID: 'guid-1234', recipe_step: 1 }]]);
    expect(logger.records).toEqual([
      { level: 'info', msg: 'hello', fields: { recipe_ID: 'guid-1234', recipe_step: 1 } },
    ]);
  });
});
