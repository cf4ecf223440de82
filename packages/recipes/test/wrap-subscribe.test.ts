import { MemoryBroker, RecordingLogger } from '@zocalo/workflows';
import type { LogRecord, MemoryTransport, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { sleep, until } from '@zocalo/test-brokers';
import { RecipeWrapper, isRecipeMessage, wrapSubscribe, wrapSubscribeBroadcast } from '../src';
import type { RecipeCallback, RecipeDocument } from '../src';
import { memoryTransport } from './helpers';

const document: RecipeDocument = {
  '1': { service: 'Splitter', queue: 'split', output: { parts: [2, 3], summary: 4 } },
  '2': { service: 'Left', queue: 'left', output: 5 },
  '3': { service: 'Right', topic: 'right', output: 5 },
  '4': { service: 'Summary', queue: 'summary' },
  '5': { service: 'Join', queue: 'join' },
  start: [[1, { numbers: [1, 2, 3] }]],
};

function envelope(pointer = 1, recipe: unknown = document): Record<string, unknown> {
  return {
    recipe,
    'recipe-pointer': pointer,
    'recipe-path': [],
    environment: { ID: 'rid' },
    payload: { n: 1 },
  };
}

let broker: MemoryBroker;
let transport: MemoryTransport;
let logger: RecordingLogger;

beforeEach(async () => {
  broker = new MemoryBroker();
  transport = await memoryTransport(broker);
  logger = new RecordingLogger();
});

afterEach(async () => {
  await transport.disconnect();
  broker.reset();
});

const errors = (): LogRecord[] => logger.at('error');

describe('isRecipeMessage', () => {
  it.each([
    [true, true],
    ['True', true],
    ['true', true],
    [1, true],
    ['False', false],
    [false, false],
    [0, false],
    ['1', false],
    [undefined, false],
  ])('header value %j counts as a recipe message: %j', (value, expected) => {
    const header = {
      'message-id': '1',
      subscription: 1,
      ...(value === undefined ? {} : { 'workflows-recipe': value }),
    };
    expect(isRecipeMessage(header)).toBe(expected);
  });
});

describe('wrapSubscribe', () => {
  it('hands the callback the wrapper, the header and the payload', async () => {
    const calls: Array<[RecipeWrapper, ReceivedHeaders, unknown]> = [];
    await wrapSubscribe(
      transport,
      'split',
      async (wrapper, header, payload) => {
        calls.push([wrapper, header, payload]);
        await transport.ack(header);
      },
      { acknowledgement: true, logger },
    );
    await transport.send('split', envelope(), { headers: { 'workflows-recipe': 'True' } });
    await until(() => calls.length === 1);
    const [wrapper, header, payload] = calls[0];
    expect(wrapper).toBeInstanceOf(RecipeWrapper);
    expect(wrapper.recipePointer).toBe(1);
    expect(wrapper.recipeId).toBe('rid');
    expect(wrapper.transport).toBe(transport);
    expect(header['workflows-recipe']).toBe('True');
    expect(payload).toEqual({ n: 1 });
    expect(broker.stats('split')).toMatchObject({ depth: 0, inFlight: 0 });
  });

  it('rejects a message without the recipe header (nack: dead-lettered) and logs an error', async () => {
    const callback = jest.fn();
    await wrapSubscribe(transport, 'split', callback, { acknowledgement: true, logger });
    await transport.send('split', { plain: true });
    await transport.send('split', envelope(), { headers: { 'workflows-recipe': 'False' } });
    await until(() => broker.stats('DLQ.split').depth === 2);
    expect(callback).not.toHaveBeenCalled();
    expect(errors().map((record) => record.msg)).toEqual([
      'The input to this service is not a wrapped recipe. Unable to process incoming message. Rejecting it (nack).',
      'The input to this service is not a wrapped recipe. Unable to process incoming message. Rejecting it (nack).',
    ]);
  });

  it('with allowNonRecipe passes plain messages on with an undefined wrapper and the whole body', async () => {
    const calls: Array<[RecipeWrapper | undefined, unknown]> = [];
    await wrapSubscribe(
      transport,
      'split',
      (wrapper, header, message) => {
        calls.push([wrapper, message]);
        return transport.ack(header);
      },
      { acknowledgement: true, allowNonRecipe: true, logger },
    );
    await transport.send('split', { plain: true });
    await transport.send('split', envelope(), { headers: { 'workflows-recipe': true } });
    await until(() => calls.length === 2);
    expect(calls[0]).toEqual([undefined, { plain: true }]);
    expect(calls[1][0]).toBeInstanceOf(RecipeWrapper);
    expect(calls[1][1]).toEqual({ n: 1 });
    expect(broker.stats('DLQ.split').depth).toBe(0);
  });

  it('rejects a recipe message that cannot be used, logging the reason, and never acks it', async () => {
    const callback = jest.fn();
    await wrapSubscribe(transport, 'split', callback, { acknowledgement: true, logger });
    const headers = { 'workflows-recipe': true };
    await transport.send('split', { payload: 1 }, { headers });
    await transport.send('split', envelope(1, { ...document, '9': { queue: 'x' } }), { headers });
    await transport.rawSend('split', '{"recipe": not json', { headers });
    await transport.send('split', envelope(7), { headers });
    await until(() => broker.stats('DLQ.split').depth === 4);
    expect(callback).not.toHaveBeenCalled();
    expect(errors().map((record) => record.msg)).toEqual([
      'Unable to process incoming recipe message: Invalid recipe message: the body has no "recipe". Rejecting it (nack).',
      'Unable to process incoming recipe message: Invalid recipe: Recipe contains unreferenced node "9". Rejecting it (nack).',
      'Unable to process incoming recipe message: Invalid recipe message: the body must be a JSON object with the keys ' +
        '"recipe", "recipe-pointer", "recipe-path", "environment" and "payload", got string. Rejecting it (nack).',
      'Unable to process incoming recipe message: Invalid recipe message: "recipe-pointer" is 7, but the recipe has no step 7. Rejecting it (nack).',
    ]);
    expect(broker.stats('split')).toMatchObject({ depth: 0, inFlight: 0 });
  });

  it('without acknowledgement cannot reject: logs loudly instead of calling nack', async () => {
    const nack = jest.spyOn(transport, 'nack');
    const callback = jest.fn();
    await wrapSubscribe(transport, 'split', callback, { logger });
    await transport.send('split', { plain: true });
    await transport.send('split', { payload: 1 }, { headers: { 'workflows-recipe': true } });
    await until(() => errors().length === 2);
    expect(nack).not.toHaveBeenCalled();
    expect(callback).not.toHaveBeenCalled();
    for (const record of errors()) {
      expect(record.msg).toMatch(
        /The subscription has no acknowledgement, so the message cannot be rejected and is lost; subscribe with acknowledgement: true$/,
      );
    }
  });

  it('with python-level validation accepts what a Python service accepts', async () => {
    const seen: RecipeWrapper[] = [];
    await wrapSubscribe(transport, 'split', (wrapper) => void seen.push(wrapper), {
      logger,
      validate: 'python',
    });
    const relaxed = { ...document, '4': { service: 'no destination' } };
    await transport.send('split', envelope(1, relaxed), { headers: { 'workflows-recipe': true } });
    await until(() => seen.length === 1);
    expect(errors()).toEqual([]);
  });

  it('mangleForReceiving reads the raw body itself (mangling disabled)', async () => {
    const seen: unknown[] = [];
    await wrapSubscribe(transport, 'split', (_wrapper, _header, payload) => void seen.push(payload), {
      logger,
      mangleForReceiving: (body) => JSON.parse(String(body).replace('"n": 1', '"n": 2')) as unknown,
    });
    await transport.rawSend('split', JSON.stringify(envelope(), null, 1), {
      headers: { 'workflows-recipe': true },
    });
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual({ n: 2 });
  });

  it('a body mangleForReceiving cannot read is rejected with the reason', async () => {
    await wrapSubscribe(transport, 'split', jest.fn(), {
      acknowledgement: true,
      logger,
      mangleForReceiving: () => {
        throw new Error('not my format');
      },
    });
    await transport.rawSend('split', 'x', { headers: { 'workflows-recipe': true } });
    await until(() => broker.stats('DLQ.split').depth === 1);
    expect(errors()[0].msg).toBe('Unable to read the incoming message (not my format). Rejecting it (nack).');
  });
});

describe('wrapSubscribeBroadcast', () => {
  it('unwraps recipe messages broadcast to a topic', async () => {
    const seen: Array<[number | undefined, unknown]> = [];
    await wrapSubscribeBroadcast(
      transport,
      'right',
      (wrapper, _header, payload) => void seen.push([wrapper.recipePointer, payload]),
      {
        logger,
      },
    );
    await transport.broadcast('right', envelope(3), { headers: { 'workflows-recipe': true } });
    await transport.broadcast('right', { plain: true });
    await until(() => seen.length === 1 && errors().length === 1);
    expect(seen).toEqual([[3, { n: 1 }]]);
  });
});

describe('a recipe pipeline on the memory transport', () => {
  /** Services written with wrapSubscribe, each on its own transport, as separate processes would be. */
  async function service(
    broker: MemoryBroker,
    name: string,
    subscribe: (t: Transport, handler: RecipeCallback) => Promise<unknown>,
    work: (wrapper: RecipeWrapper, payload: unknown, transaction: number) => Promise<void>,
    hops: string[],
  ): Promise<Transport> {
    const own = await memoryTransport(broker);
    await subscribe(own, async (wrapper, header, payload) => {
      hops.push(
        `${wrapper.recipeId} step ${wrapper.recipePointer} (${name}) path ${JSON.stringify(wrapper.recipePath)}`,
      );
      const transaction = await own.transactionBegin({ subscription: header.subscription });
      await own.ack(header, { transaction });
      await work(wrapper, payload, transaction);
      await own.transactionCommit(transaction);
    });
    return own;
  }

  it('starts, splits, fans out to a queue and a topic, and joins, tagging every hop with the recipe ID', async () => {
    const hops: string[] = [];
    const results: unknown[] = [];
    const sum = (payload: unknown): number =>
      (payload as { numbers: number[] }).numbers.reduce((a, b) => a + b, 0);
    const queue = (name: string) => (t: Transport, h: RecipeCallback) =>
      wrapSubscribe(t, name, h, { acknowledgement: true, logger });
    const topic = (name: string) => (t: Transport, h: RecipeCallback) =>
      wrapSubscribeBroadcast(t, name, h, { acknowledgement: true, logger });
    const services = [
      await service(
        broker,
        'Splitter',
        queue('split'),
        async (w, p, transaction) => {
          await w.sendTo('parts', p, { transaction });
          await w.sendTo('summary', { total: sum(p) }, { transaction });
          await w.sendTo('nothing-connected', p, { transaction });
        },
        hops,
      ),
      await service(
        broker,
        'Left',
        queue('left'),
        (w, p, transaction) => w.send({ left: sum(p) }, { transaction }),
        hops,
      ),
      await service(
        broker,
        'Right',
        topic('right'),
        (w, p, transaction) => w.send({ right: sum(p) * 10 }, { transaction }),
        hops,
      ),
      await service(broker, 'Summary', queue('summary'), async (_w, p) => void results.push(p), hops),
      await service(broker, 'Join', queue('join'), async (_w, p) => void results.push(p), hops),
    ];
    await sleep(10);
    const starter = RecipeWrapper.fromRecipe(document, transport, { environment: { ID: 'recipe-42' } });
    await starter.start();
    await until(() => results.length === 3);
    expect(results).toEqual(expect.arrayContaining([{ total: 6 }, { left: 6 }, { right: 60 }]));
    expect(hops.sort()).toEqual([
      'recipe-42 step 1 (Splitter) path []',
      'recipe-42 step 2 (Left) path [1]',
      'recipe-42 step 3 (Right) path [1]',
      'recipe-42 step 4 (Summary) path [1]',
      'recipe-42 step 5 (Join) path [1,2]',
      'recipe-42 step 5 (Join) path [1,3]',
    ]);
    expect(errors()).toEqual([]);
    for (const own of services) await own.disconnect();
  });

  it('an aborted transaction sends nothing on, and the message stays unacknowledged', async () => {
    const own = await memoryTransport(broker);
    await wrapSubscribe(
      own,
      'split',
      async (wrapper, header) => {
        const transaction = await own.transactionBegin({ subscription: header.subscription });
        await own.ack(header, { transaction });
        await wrapper.sendTo('summary', 'x', { transaction });
        await own.transactionAbort(transaction);
      },
      { acknowledgement: true, logger },
    );
    await RecipeWrapper.fromRecipe(document, transport).start();
    await until(() => broker.stats('split').inFlight === 1);
    await sleep(20);
    expect(broker.stats('summary').depth).toBe(0);
    await own.disconnect();
  });
});
