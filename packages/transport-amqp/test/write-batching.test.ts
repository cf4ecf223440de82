/** The socket is corked for exactly the length of each multiplexer pass (no broker needed). */
import type { ChannelModel } from 'amqplib';
import { requireBroker } from '@zocalo/test-brokers';
import { RecordingLogger } from '@zocalo/workflows';
import { AmqpTransport } from '../src';
import { batchWrites } from '../src/write-batching';

function fakeModel(onPass: (writes: string[]) => void): {
  model: ChannelModel;
  log: string[];
  pass(): void;
} {
  const log: string[] = [];
  const stream = {
    cork: () => log.push('cork'),
    uncork: () => log.push('uncork'),
  };
  const muxer = {
    _readIncoming(): void {
      const writes: string[] = [];
      onPass(writes);
      log.push(...writes);
    },
  };
  const model = { connection: { muxer, stream } } as unknown as ChannelModel;
  return { model, log, pass: () => muxer._readIncoming() };
}

describe('write batching', () => {
  it('corks the socket around each multiplexer pass', () => {
    const { model, log, pass } = fakeModel((writes) => writes.push('frame 1', 'frame 2'));
    batchWrites(model);
    pass();
    pass();
    expect(log).toEqual(['cork', 'frame 1', 'frame 2', 'uncork', 'cork', 'frame 1', 'frame 2', 'uncork']);
  });

  it('uncorks even when a pass throws', () => {
    const { model, log, pass } = fakeModel(() => {
      throw new Error('boom');
    });
    batchWrites(model);
    expect(pass).toThrow('boom');
    expect(log).toEqual(['cork', 'uncork']);
  });

  it('leaves a connection alone whose internals it does not recognise', () => {
    const model = { connection: { stream: {} } } as unknown as ChannelModel;
    expect(() => batchWrites(model)).not.toThrow();
  });
});

describe('write batching on a real connection', () => {
  beforeAll(() => requireBroker('amqp'));

  it('recognises the internals of the amqplib in use (else batching would silently be off)', async () => {
    const transport = new AmqpTransport({ host: '127.0.0.1', logger: new RecordingLogger() });
    await transport.connect();
    try {
      const session = (
        transport as unknown as { session: { publishModel: ChannelModel; consumeModel: ChannelModel } }
      ).session;
      for (const model of [session.publishModel, session.consumeModel]) {
        const muxer = (model.connection as unknown as { muxer: { _readIncoming: { name: string } } }).muxer;
        expect(muxer._readIncoming.name).toBe('batchedPass');
      }
    } finally {
      await transport.disconnect();
    }
  });
});
