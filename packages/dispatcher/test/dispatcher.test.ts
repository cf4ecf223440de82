import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  MemoryBroker,
  MemoryTransport,
  MessageRefusedError,
  PermanentError,
  RecordingLogger,
  ServiceRuntime,
} from '@zocalo/workflows';
import type {
  MessageBody,
  MessageHeaders,
  ReceivedHeaders,
  ServiceRuntimeOptions,
  TransportMiddleware,
} from '@zocalo/workflows';
import { sleep, until } from '@zocalo/test-brokers';
import { DispatchError, Dispatcher, STANDARD_FILTERS, assignGuid, monthFolder, readRequest } from '../src';
import type { DispatcherFilter, DispatcherOptions, ReadinessHook } from '../src';
import { tempDirectory } from './helpers';

interface Received {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
}
type Envelope = {
  recipe: Record<string, unknown>;
  'recipe-pointer': number;
  'recipe-path': number[];
  environment: Record<string, unknown>;
  payload: unknown;
};

const recipes = {
  'double.json': {
    '1': { service: 'Double', queue: 'test.double', parameters: { factor: '{factor}' }, output: 2 },
    '2': { service: 'Collect', queue: 'test.collect' },
    start: [[1, { value: '{value}', guid: '{guid}' }]],
  },
  'audit.json': {
    '1': { service: 'Audit', queue: 'test.audit' },
    start: [[1, { audited: '{value}' }]],
  },
  'two-starts.json': {
    '1': { service: 'A', queue: 'test.a' },
    '2': { service: 'B', queue: 'test.b' },
    start: [
      [1, 'a'],
      [2, 'b'],
    ],
  },
  'broken.json': { '1': { queue: 'test.broken' } },
  'not-json.json': '{ "start": [',
  'bad-format.json': { '1': { queue: 'test.bad}' }, start: [[1, null]] },
  'sub/nested.json': { '1': { queue: 'test.nested' }, start: [[1, 'nested']] },
  // Dispatches itself: its one step sends the same request back to the Dispatcher.
  'loop.json': { '1': { queue: 'processing_recipe' }, start: [[1, { recipes: ['loop'] }]] },
};

let recipeDirectory: string;
let broker: MemoryBroker;
let client: MemoryTransport;
let runtime: ServiceRuntime | undefined;
let logger: RecordingLogger;

beforeAll(() => {
  recipeDirectory = tempDirectory(recipes);
});

beforeEach(async () => {
  broker = new MemoryBroker();
  logger = new RecordingLogger();
  client = new MemoryTransport({ broker, logger: new RecordingLogger() });
  await client.connect();
});

afterEach(async () => {
  runtime?.stop();
  await runtime?.run().catch(() => undefined);
  runtime = undefined;
  await client.disconnect();
  broker.reset();
});

async function startDispatcher(
  options: DispatcherOptions = {},
  middleware?: TransportMiddleware,
  runtimeOptions: Partial<ServiceRuntimeOptions> = {},
): Promise<void> {
  const transport = new MemoryTransport({ broker, logger });
  if (middleware) transport.use(middleware);
  runtime = new ServiceRuntime(new Dispatcher({ recipeDirectory, ...options }), {
    transport,
    logger,
    commandTopic: false,
    ...runtimeOptions,
  });
  void runtime.run();
  await until(() => broker.stats('processing_recipe').consumers === 1);
}

async function collect(queue: string): Promise<Received[]> {
  const received: Received[] = [];
  await client.subscribe(queue, (header, message) => void received.push({ header, message }));
  return received;
}

const envelopeOf = (entry: Received): Envelope => entry.message as Envelope;

function logged(text: string): boolean {
  return logger.records.some((record) => `${record.msg} ${JSON.stringify(record.fields)}`.includes(text));
}

describe('Dispatcher: a recipe that dispatches itself', () => {
  it('is dead-lettered once its chain has passed through the Dispatcher more than maxHops times', async () => {
    await startDispatcher({ maxHops: 5 });
    await client.send('processing_recipe', { recipes: ['loop'] });
    await until(() => broker.stats('DLQ.processing_recipe').depth === 1, 5000);
    await sleep(300);
    expect(broker.stats('DLQ.processing_recipe').depth).toBe(1);
    expect(broker.stats('processing_recipe').depth).toBe(0);
    expect(broker.stats('processing_recipe').inFlight).toBe(0);
    const dead = await collect('DLQ.processing_recipe');
    await until(() => dead.length === 1);
    expect(envelopeOf(dead[0]).environment.dispatcher_hops).toBe(5);
    expect(logged('passed through the Dispatcher 6 times (limit 5')).toBe(true);
  });
});

describe('Dispatcher: starting recipes', () => {
  it('starts a named recipe with the parameters applied and the generated guid as recipe ID', async () => {
    const double = await collect('test.double');
    await startDispatcher();
    await client.send('processing_recipe', { recipes: ['double'], parameters: { value: '21', factor: 2 } });
    await until(() => double.length === 1);
    const envelope = envelopeOf(double[0]);
    const guid = envelope.environment.ID as string;
    expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(envelope.environment).toEqual({ ID: guid });
    expect(envelope.payload).toEqual({ value: '21', guid });
    expect(envelope['recipe-pointer']).toBe(1);
    expect(envelope['recipe-path']).toEqual([]);
    expect((envelope.recipe['1'] as { parameters: unknown }).parameters).toEqual({ factor: '2' });
    expect(double[0].header['workflows-recipe']).toBe(true);
    await until(() => broker.stats('processing_recipe').inFlight === 0);
    expect(broker.stats('processing_recipe').depth).toBe(0);
    expect(broker.stats('DLQ.processing_recipe').depth).toBe(0);
    expect(logger.records.some((record) => record.fields.recipe_ID === guid)).toBe(true);
  });

  it('keeps a guid given in the parameters', async () => {
    const double = await collect('test.double');
    await startDispatcher();
    await client.send('processing_recipe', {
      recipes: ['double'],
      parameters: { guid: 'my-own-id', value: 1 },
    });
    await until(() => double.length === 1);
    expect(envelopeOf(double[0]).environment).toEqual({ ID: 'my-own-id' });
  });

  it('accepts a request in the JSON python-zocalo sends, as it is', async () => {
    const double = await collect('test.double');
    await startDispatcher();
    // json.dumps output of zocalo.go's message, with its headers.
    await client.rawSend(
      'processing_recipe',
      '{"recipes": ["double"], "parameters": {"value": "7", "factor": "3", "ispyb_dcid": 527189}}',
      { headers: { 'zocalo.go.user': 'abc12345', 'zocalo.go.host': 'ws123.diamond.ac.uk' } },
    );
    await until(() => double.length === 1);
    expect(envelopeOf(double[0]).payload).toEqual({ value: '7', guid: envelopeOf(double[0]).environment.ID });
  });

  it('merges custom_recipe and the named recipes (custom first, as python-zocalo) and starts them all', async () => {
    const double = await collect('test.double');
    const audit = await collect('test.audit');
    const custom = await collect('test.custom');
    await startDispatcher();
    await client.send('processing_recipe', {
      recipes: ['double', 'audit'],
      custom_recipe: { '1': { queue: 'test.custom' }, start: [[1, { custom: '{value}' }]] },
      parameters: { value: 'v' },
    });
    await until(() => double.length === 1 && audit.length === 1 && custom.length === 1);
    const ids = [double, audit, custom].map((list) => envelopeOf(list[0]).environment.ID);
    expect(new Set(ids).size).toBe(1);
    expect(envelopeOf(custom[0]).payload).toEqual({ custom: 'v' });
    expect(envelopeOf(custom[0])['recipe-pointer']).toBe(1);
    expect(envelopeOf(double[0])['recipe-pointer']).toBe(2);
    expect(envelopeOf(audit[0])['recipe-pointer']).toBe(4);
    expect(envelopeOf(audit[0]).payload).toEqual({ audited: 'v' });
  });

  it('takes a custom recipe given as JSON text, as python-zocalo does', async () => {
    const custom = await collect('test.custom');
    await startDispatcher();
    await client.send('processing_recipe', {
      custom_recipe: JSON.stringify({ '1': { queue: 'test.custom' }, start: [[1, { custom: '{value}' }]] }),
      parameters: { value: 'text' },
    });
    await until(() => custom.length === 1);
    expect(envelopeOf(custom[0]).payload).toEqual({ custom: 'text' });
  });

  it('reads recipes from subfolders of the recipe directory', async () => {
    const nested = await collect('test.nested');
    await startDispatcher();
    await client.send('processing_recipe', { recipes: ['sub/nested'] });
    await until(() => nested.length === 1);
  });

  it('treats a request arriving along a recipe as the payload, under a new recipe ID', async () => {
    const double = await collect('test.double');
    await startDispatcher();
    await client.send(
      'processing_recipe',
      {
        recipe: { '1': { queue: 'processing_recipe' }, start: [[1, null]] },
        'recipe-pointer': 1,
        'recipe-path': [],
        environment: { ID: 'upstream' },
        payload: { recipes: ['double'], parameters: { value: 3 } },
      },
      { headers: { 'workflows-recipe': true } },
    );
    await until(() => double.length === 1);
    const id = envelopeOf(double[0]).environment.ID;
    expect(id).not.toBe('upstream');
    expect(logged(`Processing request with new recipe ID ${id}`)).toBe(true);
  });

  it('sends the recipe and acks the request in one transaction: a failed send sends nothing', async () => {
    const a = await collect('test.a');
    const b = await collect('test.b');
    let failures = 0;
    await startDispatcher(
      {},
      {
        async send(outgoing, next) {
          if (outgoing.destination === 'test.b' && failures++ === 0) throw new Error('broker hiccup');
          await next(outgoing);
        },
      },
    );
    await client.send('processing_recipe', { recipes: ['two-starts'] });
    await until(() => a.length === 1 && b.length === 1);
    await sleep(50);
    expect(failures).toBe(2);
    expect(a.length).toBe(1);
    expect(broker.stats('DLQ.processing_recipe').depth).toBe(0);
    expect(logged('message handler failed; transaction aborted, message released for redelivery')).toBe(true);
  });
});

describe('Dispatcher: malformed requests are rejected to the DLQ with the reason logged', () => {
  it.each<[string, unknown, string]>([
    ['a body that is not an object', 'start my recipe', 'the request must be a JSON object, got string'],
    ['a list', [1, 2], 'the request must be a JSON object, got a list'],
    [
      'parameters that are not an object',
      { recipes: ['double'], parameters: ['value', 1] },
      'Dispatcher rejected malformed message: parameters not given as dictionary',
    ],
    [
      'an unknown recipe',
      { recipes: ['nope'] },
      'Rejected message due to filter (loadRecipesFromFiles) error: Message references non-existing recipe nope. Recipe path is ',
    ],
    [
      'a recipe that fails validation',
      { recipes: ['broken'] },
      'Named recipe broken failed validation. Invalid recipe: "start" node missing',
    ],
    [
      'a recipe file that is not JSON',
      { recipes: ['not-json'] },
      'Error reading recipe not-json: Invalid recipe: not valid JSON',
    ],
    [
      'a custom recipe that fails validation',
      { custom_recipe: { '1': { queue: 'x' }, start: [[2, null]] } },
      'Rejected message due to filter (loadCustomRecipe) error: Custom recipe failed validation. Invalid recipe: Node "2" is referenced via',
    ],
    [
      'a custom recipe that is neither an object nor its JSON text',
      { custom_recipe: 'recipe' },
      'Error reading custom recipe: Invalid recipe: not valid JSON',
    ],
    [
      'a custom recipe that is a list',
      { custom_recipe: [1] },
      'Error reading custom recipe: expected a JSON object, got a list',
    ],
    [
      'recipes that are not a list',
      { recipes: 'double' },
      '"recipes" must be a list of recipe names, got "double"',
    ],
    [
      'a recipe name leaving the directory',
      { recipes: ['../double'] },
      'Message references invalid recipe name "../double"',
    ],
    ['no recipe at all', { parameters: { value: 1 } }, 'it names no recipe'],
    [
      'a recipe whose strings are not valid format strings',
      { recipes: ['bad-format'] },
      `Rejected message due to filter (applyParameters) error: Invalid recipe parameters: cannot fill in "test.bad}": Single '}' encountered`,
    ],
  ])('%s', async (_case, body, reason) => {
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher();
    await client.send('processing_recipe', body);
    await until(() => dead.length === 1);
    expect(dead[0].message).toEqual(body);
    expect(dead[0].header['dlq-reason']).toBe('rejected');
    const reasons = logger.records.filter((record) =>
      record.msg.startsWith('message rejected and dead-lettered'),
    );
    expect(reasons).toHaveLength(1);
    expect(reasons[0].msg).toContain(reason);
    expect(broker.stats('test.double').depth).toBe(0);
  });

  it('names the recipe directory for an unknown recipe', async () => {
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher();
    await client.send('processing_recipe', { recipes: ['nope'] });
    await until(() => dead.length === 1);
    expect(logged(`Message references non-existing recipe nope. Recipe path is ${recipeDirectory}`)).toBe(
      true,
    );
  });

  it('rejects at once a recipe that is a FIFO in the recipe directory, unread', async () => {
    const directory = tempDirectory({});
    execFileSync('mkfifo', [join(directory, 'pipe.json')]);
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher({ recipeDirectory: directory });
    await client.send('processing_recipe', { recipes: ['pipe'] });
    await until(() => dead.length === 1, 5000);
    expect(
      logged(
        `Message references recipe pipe, but ${join(directory, 'pipe.json')} is a FIFO (named pipe), ` +
          'not a regular file; give the path of a regular file',
      ),
    ).toBe(true);
  });

  it('rejects named recipes when no recipe directory is configured', async () => {
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher({ recipeDirectory: '' });
    await client.send('processing_recipe', { recipes: ['double'] });
    await until(() => dead.length === 1);
    expect(logged('no recipe directory is configured (storage zocalo.recipe_directory)')).toBe(true);
  });

  it('rejects a recipe message whose envelope is unusable', async () => {
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher();
    await client.send('processing_recipe', { payload: {} }, { headers: { 'workflows-recipe': 'True' } });
    await until(() => dead.length === 1);
    expect(
      logged('Unable to process incoming recipe message: Invalid recipe message: the body has no "recipe"'),
    ).toBe(true);
  });
});

describe('Dispatcher: holding requests back', () => {
  it('re-sends a request that is not ready to itself with a 2 s delay, guid and deadline attached', async () => {
    await startDispatcher({ readiness: [() => false] });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { value: 1 } });
    await until(() => broker.stats('processing_recipe').scheduled === 1);
    expect(broker.stats('processing_recipe').depth).toBe(0);
    expect(logged('Message not yet ready for processing')).toBe(true);
  });

  it('processes a held-back request once its hook says yes, under the same guid', async () => {
    const double = await collect('test.double');
    const seen: Array<Record<string, unknown>> = [];
    let answers = 0;
    const ready: ReadinessHook = (_request, parameters) => {
      seen.push({ ...parameters });
      return ++answers > 2;
    };
    await startDispatcher({ readiness: [ready], holdBackDelay: 0.02, now: () => 1_000_000 });
    await client.send('processing_recipe', {
      recipes: ['double'],
      parameters: { value: 1, dispatcher_timeout: 30 },
    });
    await until(() => double.length === 1);
    expect(seen).toHaveLength(3);
    const guid = seen[0].guid;
    expect(seen.map((parameters) => parameters.guid)).toEqual([guid, guid, guid]);
    expect(seen[0].dispatcher_expiration).toBeUndefined();
    expect(seen[1].dispatcher_expiration).toBe(1000 + 30);
    expect(envelopeOf(double[0]).environment.ID).toBe(guid);
  });

  it('sends a request still not ready after dispatcher_timeout to dispatcher_error_queue', async () => {
    const errors = await collect('test.not-ready');
    let now = 1_000_000;
    await startDispatcher({ readiness: [() => false], holdBackDelay: 0.02, now: () => (now += 400) });
    await client.send('processing_recipe', {
      recipes: ['double'],
      parameters: { dispatcher_timeout: '1', dispatcher_error_queue: 'test.not-ready' },
    });
    await until(() => errors.length === 1);
    const parameters = (errors[0].message as { parameters: Record<string, unknown> }).parameters;
    expect(parameters.dispatcher_error_queue).toBe('test.not-ready');
    expect(typeof parameters.guid).toBe('string');
    expect(logged('Message rejected to specified error queue as still not ready for processing')).toBe(true);
    expect(broker.stats('DLQ.processing_recipe').depth).toBe(0);
  });

  it('rejects a request still not ready after dispatcher_timeout to the DLQ without an error queue', async () => {
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher({
      readiness: [
        function waitForFiles() {
          return false;
        },
      ],
      now: () => 5_000_000,
    });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { dispatcher_timeout: 0 } });
    await until(() => dead.length === 1);
    expect(logged('Message rejected as still not ready for processing (hook waitForFiles)')).toBe(true);
  });

  it('rejects a request whose dispatcher_timeout is not a number', async () => {
    const dead = await collect('DLQ.processing_recipe');
    await startDispatcher({ readiness: [() => false] });
    await client.send('processing_recipe', {
      recipes: ['double'],
      parameters: { dispatcher_timeout: 'soon' },
    });
    await until(() => dead.length === 1);
    expect(logged('parameter dispatcher_timeout must be a number of seconds, got "soon"')).toBe(true);
  });
});

describe('Dispatcher: filters and logbook', () => {
  it('runs filters in order; a site filter put first can change the parameters', async () => {
    const double = await collect('test.double');
    const addBeamline: DispatcherFilter = (state) => {
      state.parameters.value = `${String(state.parameters.value)}@i04`;
    };
    await startDispatcher({ filters: [addBeamline, ...STANDARD_FILTERS] });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { value: 'x' } });
    await until(() => double.length === 1);
    expect((envelopeOf(double[0]).payload as { value: string }).value).toBe('x@i04');
  });

  it('rejects the request when a filter throws, naming the filter', async () => {
    const dead = await collect('DLQ.processing_recipe');
    const checkVisit: DispatcherFilter = () => {
      throw new Error('visit cm12345-1 is closed');
    };
    await startDispatcher({ filters: [checkVisit, ...STANDARD_FILTERS] });
    await client.send('processing_recipe', { recipes: ['double'] });
    await until(() => dead.length === 1);
    expect(logged('Rejected message due to filter (checkVisit) error: visit cm12345-1 is closed')).toBe(true);
  });

  it('writes each request to the logbook at <logbook>/<YYYY-MM>/<guid[:2]>/<guid[2:]>', async () => {
    const logbook = join(tempDirectory(), 'logbook');
    const double = await collect('test.double');
    await startDispatcher({ logbook });
    await client.send(
      'processing_recipe',
      { recipes: ['double'], parameters: { guid: 'abcdef-123', value: 'é' } },
      { headers: { 'zocalo.go.user': 'someone' } },
    );
    await until(() => double.length === 1);
    const entry = join(logbook, monthFolder(new Date()), 'ab', 'cdef-123');
    await until(() => existsSync(entry));
    const text = readFileSync(entry, 'utf8');
    expect(text).toMatch(
      /^Incoming message header:\n\{\n {2}"destination": "processing_recipe",\n {2}"message-id": /,
    );
    expect(text).toContain('"zocalo.go.user": "someone"');
    expect(text).toContain(
      '\n\nIncoming message body:\n{\n  "parameters": {\n    "guid": "abcdef-123",\n    "value": "\\u00e9"\n  },',
    );
    expect(text).toContain('\n\nParsed message body:\n');
    expect(text).toContain('\n\nRecipe object:\n{\n  "1": {');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('does not write a guid with fewer than 3 usable characters, and still processes the request', async () => {
    const logbook = join(tempDirectory(), 'logbook');
    const double = await collect('test.double');
    await startDispatcher({ logbook });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { guid: '!!' } });
    await until(() => double.length === 1);
    expect(logged('Message with non-conforming guid !! not written to logbook')).toBe(true);
    expect(readdirSync(logbook)).toEqual([]);
  });

  it('disables a logbook it cannot write to, saying so', async () => {
    const file = join(tempDirectory({ 'a-file': 'x' }), 'a-file');
    await startDispatcher({ logbook: join(file, 'logbook') });
    expect(logged(`Logbook disabled: Can not write to ${join(file, 'logbook')}`)).toBe(true);
  });
});

describe('Dispatcher: hostile requests are dead-lettered with a reason, the request behind them dispatched', () => {
  const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it.each<[string, string, string]>([
    [
      '10k-deep parameters',
      `{"recipes": ["double"], "parameters": {"value": 1, "x": ${deep(10_000)}}}`,
      'Dispatcher rejected malformed message: the request is nested more than 512 levels deep',
    ],
    [
      'a 10k-deep guid',
      `{"recipes": ["double"], "parameters": {"guid": ${deep(10_000)}}}`,
      'Dispatcher rejected malformed message: the request is nested more than 512 levels deep',
    ],
    [
      'a 10k-deep key beside the parameters',
      `{"recipes": ["double"], "extra": ${deep(10_000)}}`,
      'the request is nested more than 512 levels deep',
    ],
    [
      'a guid that is a list',
      '{"recipes": ["double"], "parameters": {"guid": [[["a"]]]}}',
      'parameters.guid (the recipe ID) must be a string or a number, got a list',
    ],
    [
      'a guid that cannot be made text',
      '{"recipes": ["double"], "parameters": {"guid": {"toString": 1, "valueOf": 1}}}',
      'parameters.guid (the recipe ID) must be a string or a number, got an object',
    ],
    [
      'a 10k-deep request along a recipe',
      `{"recipe": {"1": {"queue": "processing_recipe"}, "start": [[1, null]]}, "recipe-pointer": 1, ` +
        `"recipe-path": [], "environment": {"ID": "upstream"}, "payload": {"recipes": ["double"], "parameters": {"x": ${deep(10_000)}}}}`,
      'the request is nested more than 512 levels deep',
    ],
  ])('%s', async (name, body, reason) => {
    const dead = await collect('DLQ.processing_recipe');
    const double = await collect('test.double');
    await startDispatcher();
    const headers: MessageHeaders = name.includes('along a recipe') ? { 'workflows-recipe': true } : {};
    await client.rawSend('processing_recipe', body, { headers });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { guid: 'behind', value: 2 } });
    await until(() => dead.length === 1 && double.length === 1);
    await sleep(100); // room for a redelivery that must not come
    expect(dead).toHaveLength(1);
    expect(double.map((entry) => envelopeOf(entry).environment.ID)).toEqual(['behind']);
    const reasons = logger.records.filter((record) => record.msg.includes('rejected and dead-lettered'));
    expect(reasons).toHaveLength(1);
    expect(reasons[0].level).toBe('warn');
    expect(reasons[0].msg).toContain(reason);
    expect(logger.at('error')).toEqual([]);
    expect(broker.stats('processing_recipe')).toMatchObject({ depth: 0, inFlight: 0 });
  });

  it('a request naming a recipe 20,000 times and then a missing one: dead-lettered at once, the request behind it dispatched', async () => {
    const dead = await collect('DLQ.processing_recipe');
    const double = await collect('test.double');
    await startDispatcher();
    const started = performance.now();
    // Merged one at a time (validating and copying all merged so far at each step) this took hours.
    await client.send('processing_recipe', { recipes: [...Array<string>(20_000).fill('audit'), 'nope'] });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { guid: 'behind', value: 2 } });
    await until(() => dead.length === 1 && double.length === 1, 10_000);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(logged('Message references non-existing recipe nope.')).toBe(true);
    expect(double.map((entry) => envelopeOf(entry).environment.ID)).toEqual(['behind']);
  });

  it('a request naming a recipe 300 times starts it 300 times, merged as python-zocalo merges them', async () => {
    const audit = await collect('test.audit');
    await startDispatcher();
    await client.send('processing_recipe', {
      recipes: Array<string>(300).fill('audit'),
      parameters: { value: 'v' },
    });
    await until(() => audit.length === 300, 10_000);
    const envelope = envelopeOf(audit[0]);
    expect(Object.keys(envelope.recipe).filter((key) => key !== 'start')).toHaveLength(300);
    expect(audit.map((entry) => envelopeOf(entry)['recipe-pointer'])).toEqual(
      Array.from({ length: 300 }, (_, index) => index + 1),
    );
    expect(audit.every((entry) => JSON.stringify(envelopeOf(entry).payload) === '{"audited":"v"}')).toBe(
      true,
    );
  });

  it('a guid Python reads as false gets a new one, as python-zocalo\'s `parameters.get("guid") or uuid4()`', async () => {
    for (const guid of [undefined, null, false, 0, -0, '', [], {}]) {
      const parameters: Record<string, unknown> = { guid };
      expect(assignGuid(parameters, () => 'new')).toBe('new');
      expect(parameters.guid).toBe('new');
    }
    expect(assignGuid({ guid: NaN }, () => 'new')).toBe('NaN'); // NaN is true in Python
    expect(assignGuid({ guid: true }, () => 'new')).toBe('true');
    expect(() => assignGuid({ guid: [0] })).toThrow('must be a string or a number, got a list');

    const double = await collect('test.double');
    await startDispatcher();
    await client.send('processing_recipe', { recipes: ['double'], parameters: { guid: {}, value: 1 } });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { guid: 0, value: 2 } });
    await until(() => double.length === 2);
    for (const entry of double) {
      expect(envelopeOf(entry).environment.ID).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  it('assignGuid and readRequest throw a DispatchError, a PermanentError, for these requests', () => {
    const deepParameters = { parameters: JSON.parse(`{"x": ${deep(10_000)}}`) as unknown };
    expect(() => readRequest(deepParameters)).toThrow(DispatchError);
    expect(() => assignGuid({ guid: { toString: 1 } })).toThrow(
      'parameters.guid (the recipe ID) must be a string or a number, got an object',
    );
    expect(new DispatchError('x')).toBeInstanceOf(PermanentError);
    expect(assignGuid({ guid: 162182994129803994n })).toBe('162182994129803994');
    expect(assignGuid({ guid: 7 })).toBe('7');
  });

  it('a recipe start that no retry can cure: nothing of it sent, the request dead-lettered once with the reason', async () => {
    const a = await collect('test.a');
    const b = await collect('test.b');
    const dead = await collect('DLQ.processing_recipe');
    const double = await collect('test.double');
    let attempts = 0;
    await startDispatcher(
      {},
      {
        async send(outgoing, next) {
          if (outgoing.destination === 'test.b') {
            attempts++;
            throw new MessageRefusedError('memory', 'the body is 200 MB', 'at most 100 MB');
          }
          await next(outgoing);
        },
      },
    );
    await client.send('processing_recipe', { recipes: ['two-starts'] });
    await client.send('processing_recipe', { recipes: ['double'], parameters: { value: 3 } });
    await until(() => dead.length === 1 && double.length === 1);
    await sleep(100);
    expect(attempts).toBe(1);
    // test.a was sent in the aborted transaction: it never went out.
    expect(a).toEqual([]);
    expect(b).toEqual([]);
    expect(dead.map((entry) => entry.message)).toEqual([{ recipes: ['two-starts'] }]);
    const [said] = logger.at('error');
    expect(logger.at('error')).toHaveLength(1);
    expect(said.msg).toContain(
      'message rejected and dead-lettered: DispatchError: Dispatcher could not start the recipe: memory transport: message refused before sending',
    );
    expect(said.fields.messageId).toEqual(expect.any(String));
  });

  it('a small request whose parameters fill in a start beyond the output limits: refused before any of it is sent, dead-lettered with the reason', async () => {
    const dead = await collect('DLQ.processing_recipe');
    const double = await collect('test.double');
    let sent = 0;
    await startDispatcher(
      {},
      {
        async send(outgoing, next) {
          if (outgoing.destination === 'test.a' || outgoing.destination === 'test.b') sent++;
          await next(outgoing);
        },
      },
      { maxOutputBytesPerMessage: 100_000 },
    );
    // 60 kB of recipe from a request of 200 bytes, sent to two first steps.
    const request = {
      custom_recipe: {
        1: { service: 'A', queue: 'test.a', parameters: { text: '{pad:>10000}'.repeat(6) } },
        2: { service: 'B', queue: 'test.b' },
        start: [
          [1, 'a'],
          [2, 'b'],
        ],
      },
      parameters: { pad: 'x' },
    };
    expect(JSON.stringify(request).length).toBeLessThan(250);
    await client.send('processing_recipe', request);
    await client.send('processing_recipe', { recipes: ['double'], parameters: { value: 3 } });
    await until(() => dead.length === 1 && double.length === 1);
    expect(sent).toBe(0);
    expect(logger.at('error').map((record) => record.fields.reason)).toEqual([
      expect.stringMatching(
        /^DispatchError: Dispatcher could not start the recipe: maxOutputBytesPerMessage limits the outputs of one message to 100000 bytes; the start of the recipe \(2 messages of more than 60\d{3} bytes: each carries the whole recipe\) would make them 12\d{4} bytes/,
      ),
    ]);
  });
});
