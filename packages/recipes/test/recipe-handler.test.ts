import {
  DisconnectedError,
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  ServiceRuntime,
  defineService,
} from '@zocalo/workflows';
import type { MessageBody, ReceivedHeaders } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { RecipeWrapper, messageTransport, recipeHandler } from '../src';
import type { RecipeDocument, RecipeMessageHandler } from '../src';

const document: RecipeDocument = {
  '1': { service: 'Double', queue: 'double', output: 2 },
  '2': { service: 'Collect', queue: 'collected' },
  start: [[1, { value: 21 }]],
};

interface Received {
  readonly header: ReceivedHeaders;
  readonly message: MessageBody;
}

let broker: MemoryBroker;
let client: MemoryTransport;
let runtime: ServiceRuntime | undefined;
const logger = new RecordingLogger();

beforeEach(async () => {
  broker = new MemoryBroker();
  client = new MemoryTransport({ broker, logger });
  await client.connect();
});

afterEach(async () => {
  runtime?.stop();
  await runtime?.run();
  runtime = undefined;
  await client.disconnect();
  broker.reset();
});

async function collect(queue: string): Promise<Received[]> {
  const received: Received[] = [];
  await client.subscribe(queue, (header, message) => void received.push({ header, message }));
  return received;
}

async function run(handler: RecipeMessageHandler): Promise<void> {
  const service = defineService({
    name: 'Double',
    async initializing(ctx) {
      await ctx.subscribe('double', recipeHandler(handler));
    },
  });
  runtime = new ServiceRuntime(service, {
    transport: new MemoryTransport({ broker, logger }),
    logger,
    commandTopic: false,
  });
  void runtime.run();
  await until(() => broker.stats('double').consumers === 1);
}

describe('recipeHandler', () => {
  it('hands the wrapper and the message context to the handler and routes the result on', async () => {
    const collected = await collect('collected');
    const seen: Array<{ payload: unknown; recipeId: string | undefined; transaction: unknown }> = [];
    await run(async (rw, msg) => {
      seen.push({ payload: rw.payload, recipeId: msg.recipeId, transaction: msg.transaction });
      await rw.send({ value: (rw.payload as { value: number }).value * 2 });
    });
    const starter = RecipeWrapper.fromRecipe(document, client, { environment: { ID: 'recipe-1' } });
    await starter.start();
    await until(() => collected.length === 1);
    expect(seen).toEqual([{ payload: { value: 21 }, recipeId: 'recipe-1', transaction: expect.any(Number) }]);
    const message = collected[0].message as Record<string, unknown>;
    expect(message.payload).toEqual({ value: 42 });
    expect(message['recipe-path']).toEqual([1]);
    expect(message.environment).toEqual({ ID: 'recipe-1' });
    expect(collected[0].header['workflows-recipe']).toBe(true);
    expect(broker.stats('double').depth).toBe(0);
  });

  it('sends nothing when the handler throws: the sends were in the aborted transaction', async () => {
    const collected = await collect('collected');
    let attempts = 0;
    await run(async (rw) => {
      attempts++;
      await rw.send({ attempt: attempts });
      if (attempts === 1) throw new Error('passing fault');
    });
    await RecipeWrapper.fromRecipe(document, client).start();
    await until(() => collected.length === 1);
    expect(attempts).toBe(2);
    expect(collected.map((entry) => (entry.message as { payload: unknown }).payload)).toEqual([
      { attempt: 2 },
    ]);
  });

  it('rejects a message without the recipe header to the DLQ, with the reason logged', async () => {
    const dead = await collect('DLQ.double');
    const handled: unknown[] = [];
    await run((rw) => void handled.push(rw));
    await client.send('double', { value: 1 });
    await until(() => dead.length === 1);
    expect(handled).toEqual([]);
    expect(dead[0].message).toEqual({ value: 1 });
    expect(
      logger.records.some((record) => record.msg.includes('not a wrapped recipe') && record.level === 'warn'),
    ).toBe(true);
  });

  it('rejects a recipe message whose recipe is invalid, naming the validation error', async () => {
    const dead = await collect('DLQ.double');
    await run(() => undefined);
    await client.send(
      'double',
      {
        recipe: { '1': { queue: 'double' } },
        'recipe-pointer': 1,
        'recipe-path': [],
        environment: {},
        payload: 1,
      },
      { headers: { 'workflows-recipe': 'True' } },
    );
    await until(() => dead.length === 1);
    expect(
      logger.records.some((record) =>
        record.msg.includes(
          'Unable to process incoming recipe message: Invalid recipe: "start" node missing',
        ),
      ),
    ).toBe(true);
  });

  it('passes plain messages on with allowNonRecipe', async () => {
    const seen: Array<[boolean, unknown]> = [];
    const service = defineService({
      name: 'Mixed',
      async initializing(ctx) {
        await ctx.subscribe(
          'mixed',
          recipeHandler((rw, msg) => void seen.push([rw === undefined, msg.message]), {
            allowNonRecipe: true,
          }),
        );
      },
    });
    runtime = new ServiceRuntime(service, {
      transport: new MemoryTransport({ broker, logger }),
      logger,
      commandTopic: false,
    });
    void runtime.run();
    await until(() => broker.stats('mixed').consumers === 1);
    await client.send('mixed', { plain: true });
    await until(() => seen.length === 1);
    expect(seen).toEqual([[true, { plain: true }]]);
  });
});

describe('recipeHandler and a lost connection', () => {
  it('does not retry a send, even outside a transaction: the transport and the runtime own that', async () => {
    let sends = 0;
    const transport = new MemoryTransport({ broker, logger });
    const msg = {
      header: { 'message-id': '1', subscription: 1, 'workflows-recipe': true },
      message: {
        recipe: document,
        'recipe-pointer': 1,
        'recipe-path': [],
        environment: { ID: 'r' },
        payload: 1,
      },
      transport,
      transaction: undefined,
      outputBudget: undefined,
      logger,
      send: () => {
        sends++;
        return Promise.reject(new DisconnectedError('send', 'memory'));
      },
      broadcast: () => Promise.reject(new DisconnectedError('broadcast', 'memory')),
    } as unknown as Parameters<ReturnType<typeof recipeHandler>>[0];
    const handler = recipeHandler((rw) => rw.send({ value: 42 }));
    await expect(handler(msg)).rejects.toBeInstanceOf(DisconnectedError);
    expect(sends).toBe(1);
    expect(transport.isConnected()).toBe(false);
  });
});

describe('messageTransport', () => {
  it('routes send and broadcast through the message context and leaves the rest to the transport', async () => {
    const calls: string[] = [];
    const transport = new MemoryTransport({ broker, logger });
    const proxy = messageTransport({
      transport,
      send: async (queue: string) => void calls.push(`send ${queue}`),
      broadcast: async (topic: string) => void calls.push(`broadcast ${topic}`),
    } as unknown as Parameters<typeof messageTransport>[0]);
    await proxy.send('q', 1);
    await proxy.broadcast('t', 1);
    expect(calls).toEqual(['send q', 'broadcast t']);
    expect(proxy.name).toBe('memory');
    expect(proxy.capabilities.transactions).toBe(true);
    expect(proxy.isConnected()).toBe(false);
  });
});
