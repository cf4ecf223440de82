/**
 * Middleware around every transport operation (python-workflows' BaseTransportMiddleware hooks), on
 * the memory transport: the order, changed calls, an error stopping the operation, and
 * python-workflows' CounterMiddleware and TimerMiddleware.
 */
import { until } from '@zocalo/test-brokers';
import type { MiddlewareNext, ReceivedHeaders, TransportMiddleware } from '../src';
import { CounterMiddleware, MemoryBroker, MemoryTransport, RecordingLogger, TimerMiddleware } from '../src';

async function connected(broker = new MemoryBroker()): Promise<MemoryTransport> {
  const transport = new MemoryTransport({ broker, logger: new RecordingLogger() });
  await transport.connect();
  return transport;
}

/** A middleware that records `<name>:<hook>` for every hook, then continues. */
function recorder(name: string, log: string[]): TransportMiddleware {
  const pass =
    <Call, Result>(hook: string) =>
    (call: Call, next: MiddlewareNext<Call, Result>): Promise<Result> => {
      log.push(`${name}:${hook}`);
      return next(call);
    };
  return {
    name,
    send: pass('send'),
    receive: pass('receive'),
    subscribe: pass('subscribe'),
    unsubscribe: pass('unsubscribe'),
    ack: pass('ack'),
    nack: pass('nack'),
    transactionBegin: pass('transactionBegin'),
    transactionCommit: pass('transactionCommit'),
    transactionAbort: pass('transactionAbort'),
  };
}

describe('transport middleware', () => {
  it('wraps every operation, the middleware added first outermost', async () => {
    const transport = await connected();
    const log: string[] = [];
    transport.use(recorder('outer', log));
    transport.use(recorder('inner', log));
    const got: ReceivedHeaders[] = [];
    const subscription = await transport.subscribe('mw.all', (header) => void got.push(header), {
      acknowledgement: true,
    });
    const broadcast = await transport.subscribeBroadcast('mw.topic', () => undefined);
    const temporary = await transport.subscribeTemporary('mw', () => undefined);
    await transport.send('mw.all', 1);
    await transport.rawSend('mw.all', 'two');
    await transport.broadcast('mw.topic', 3);
    await until(() => got.length === 1);
    const transaction = await transport.transactionBegin();
    await transport.ack(got[0], { transaction });
    await transport.transactionCommit(transaction);
    // One unacknowledged delivery at a time: the second comes once the first is acknowledged.
    await until(() => got.length === 2);
    const aborted = await transport.transactionBegin();
    await transport.transactionAbort(aborted);
    await transport.nack(got[1]);
    await transport.unsubscribe(temporary.subscriptionId);
    await transport.unsubscribe(broadcast);
    await transport.unsubscribe(subscription);
    const counts: Record<string, number> = {};
    for (const entry of log.filter((line) => line.startsWith('outer:')))
      counts[entry.slice(6)] = (counts[entry.slice(6)] ?? 0) + 1;
    expect(counts).toEqual({
      subscribe: 3,
      send: 3,
      receive: 3,
      transactionBegin: 2,
      ack: 1,
      transactionCommit: 1,
      transactionAbort: 1,
      nack: 1,
      unsubscribe: 3,
    });
    expect(log.slice(0, 6)).toEqual([
      'outer:subscribe',
      'inner:subscribe',
      'outer:subscribe',
      'inner:subscribe',
      'outer:subscribe',
      'inner:subscribe',
    ]);
    // Each hook ran outer then inner.
    for (let index = 0; index < log.length; index += 2) {
      expect(log[index].replace('outer:', '')).toBe(log[index + 1].replace('inner:', ''));
    }
    await transport.disconnect();
  });

  it('lets middleware change a call: the queue subscribed to, an acknowledgement made a rejection', async () => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    transport.use({
      subscribe: (call, next) => next({ ...call, destination: `${call.destination}.renamed` }),
      // Acks become rejections: the message goes to the dead-letter queue.
      ack: (call, next) => transport.nack(call.header).then(() => next(call)),
    });
    const got: ReceivedHeaders[] = [];
    await transport.subscribe('mw.change', (header) => void got.push(header), { acknowledgement: true });
    await transport.send('mw.change.renamed', 'x');
    await until(() => got.length === 1);
    expect(got[0].destination).toContain('mw.change.renamed');
    await transport.ack(got[0]);
    await until(() => broker.stats('DLQ.mw.change.renamed').depth === 1);
    await transport.disconnect();
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('stopped by middleware'))],
    [
      'throws',
      () => {
        throw new Error('stopped by middleware');
      },
    ],
  ] as const)('stops each operation with the error of a middleware that %s', async (_how, stop) => {
    const broker = new MemoryBroker();
    const transport = await connected(broker);
    const got: ReceivedHeaders[] = [];
    await transport.subscribe('mw.stop', (header) => void got.push(header), { acknowledgement: true });
    await transport.send('mw.stop', 1);
    await until(() => got.length === 1);
    const transaction = await transport.transactionBegin();
    transport.use({
      send: stop,
      subscribe: stop,
      unsubscribe: stop,
      ack: stop,
      nack: stop,
      transactionBegin: stop,
      transactionCommit: stop,
      transactionAbort: stop,
    });
    await expect(transport.send('mw.stop', 2)).rejects.toThrow('stopped by middleware');
    await expect(transport.broadcast('mw.topic', 2)).rejects.toThrow('stopped by middleware');
    await expect(transport.subscribe('mw.other', () => undefined)).rejects.toThrow('stopped by middleware');
    await expect(transport.subscribeTemporary(undefined, () => undefined)).rejects.toThrow(
      'stopped by middleware',
    );
    await expect(transport.unsubscribe(1)).rejects.toThrow('stopped by middleware');
    await expect(transport.ack(got[0])).rejects.toThrow('stopped by middleware');
    await expect(transport.nack(got[0])).rejects.toThrow('stopped by middleware');
    await expect(transport.transactionBegin()).rejects.toThrow('stopped by middleware');
    await expect(transport.transactionCommit(transaction)).rejects.toThrow('stopped by middleware');
    await expect(transport.transactionAbort(transaction)).rejects.toThrow('stopped by middleware');
    // Nothing reached the broker: one message, still unacknowledged; no second subscription.
    expect(broker.stats('mw.stop')).toMatchObject({ depth: 0, inFlight: 1, consumers: 1 });
    expect(broker.stats('mw.other').consumers).toBe(0);
    await transport.disconnect();
  });

  it('counts operations as python-workflows CounterMiddleware does, logging each count', async () => {
    const logger = new RecordingLogger();
    const transport = await connected();
    const counter = new CounterMiddleware({ logger });
    transport.use(counter);
    const got: ReceivedHeaders[] = [];
    await transport.subscribe('mw.count', (header) => void got.push(header), { acknowledgement: true });
    await transport.subscribeBroadcast('mw.count', () => undefined);
    await transport.send('mw.count', 1);
    await transport.send('mw.count', 2);
    await transport.broadcast('mw.count', 3);
    await until(() => got.length === 1);
    const transaction = await transport.transactionBegin();
    await transport.ack(got[0], { transaction });
    await transport.transactionCommit(transaction);
    await until(() => got.length === 2);
    await transport.nack(got[1]);
    await transport.transactionAbort(await transport.transactionBegin());
    await expect(transport.send('', 1)).rejects.toThrow();
    expect(counter.counts).toEqual({
      subscribe: 1,
      subscribeBroadcast: 1,
      subscribeTemporary: 0,
      send: 2,
      broadcast: 1,
      ack: 1,
      nack: 1,
      transactionBegin: 2,
      transactionAbort: 1,
      transactionCommit: 1,
    });
    const messages = logger.records.map((record) => record.msg);
    expect(messages).toContain('send() count: 2');
    expect(messages).toContain('transaction_commit() count: 1');
    await transport.disconnect();
  });

  it('times callbacks and sends as python-workflows TimerMiddleware does', async () => {
    const logger = new RecordingLogger();
    const transport = await connected();
    transport.use(new TimerMiddleware({ logger }));
    let done = false;
    await transport.subscribe('mw.timer', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      done = true;
    });
    await transport.send('mw.timer', 1);
    await until(() => done && logger.records.some((record) => record.msg.startsWith('Callback for')));
    const callback = logger.records.find((record) => record.msg.startsWith('Callback for'))!;
    expect(callback.msg).toMatch(/^Callback for \S*mw\.timer took: 0\.0[3-9]\d$/);
    expect(logger.records.some((record) => /^send\(\) took: \d+\.\d{3}$/.test(record.msg))).toBe(true);
    await transport.disconnect();
  });
});
