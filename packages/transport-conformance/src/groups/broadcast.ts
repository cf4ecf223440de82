import type { ConformanceOptions } from '../harness';
import { ARBITRARY_BYTES } from './bodies';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** Broadcasts: fan-out to every current subscriber, nothing for those who come later. */
export function broadcastTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('broadcast', () => {
    const harness = useHarness(options);

    it('delivers a broadcast to every subscriber, across processes', async () => {
      const a = await harness().connect();
      const b = await harness().connect();
      const topic = harness().name('fanout');
      const first = harness().collector();
      const second = harness().collector();
      const third = harness().collector();
      await a.subscribeBroadcast(topic, first.callback);
      await a.subscribeBroadcast(topic, second.callback);
      await b.subscribeBroadcast(topic, third.callback);
      await b.broadcast(topic, { hello: 'all' });
      await Promise.all([first.waitFor(1), second.waitFor(1), third.waitFor(1)]);
      for (const collector of [first, second, third]) expect(collector.messages).toEqual([{ hello: 'all' }]);
    });

    it('succeeds with no subscribers, and a later subscriber does not see earlier broadcasts', async () => {
      const transport = await harness().connect();
      const topic = harness().name('nobody');
      await transport.broadcast(topic, { early: true });
      const collector = harness().collector();
      await transport.subscribeBroadcast(topic, collector.callback);
      await transport.broadcast(topic, { late: true });
      await collector.waitFor(1);
      await harness().quiet();
      expect(collector.messages).toEqual([{ late: true }]);
    });

    it('passes raw broadcasts through and parses JSON for mangling subscribers', async () => {
      const transport = await harness().connect();
      const topic = harness().name('rawbroadcast');
      const raw = harness().collector();
      const parsed = harness().collector();
      await transport.subscribeBroadcast(topic, raw.callback, { disableMangling: true });
      await transport.subscribeBroadcast(topic, parsed.callback);
      await transport.rawBroadcast(topic, '{"v": 1}');
      await Promise.all([raw.waitFor(1), parsed.waitFor(1)]);
      expect(raw.messages).toEqual(['{"v": 1}']);
      expect(parsed.messages).toEqual([{ v: 1 }]);
    });

    it('delivers raw bytes of a broadcast byte-identical to every rawBytes subscriber', async () => {
      const transport = await harness().connect();
      const topic = harness().name('rawbytesbroadcast');
      const first = harness().collector();
      const second = harness().collector();
      await transport.subscribeBroadcast(topic, first.callback, { rawBytes: true });
      await transport.subscribeBroadcast(topic, second.callback, { rawBytes: true });
      await transport.rawBroadcast(topic, ARBITRARY_BYTES);
      await Promise.all([first.waitFor(1), second.waitFor(1)]);
      for (const collector of [first, second]) {
        expect(Buffer.isBuffer(collector.messages[0])).toBe(true);
        expect((collector.messages[0] as Buffer).equals(ARBITRARY_BYTES)).toBe(true);
      }
    });

    it('stops delivering broadcasts after unsubscribe', async () => {
      const transport = await harness().connect();
      const topic = harness().name('unsubscribebroadcast');
      const collector = harness().collector();
      const id = await transport.subscribeBroadcast(topic, collector.callback);
      await transport.broadcast(topic, 1);
      await collector.waitFor(1);
      await transport.unsubscribe(id);
      await transport.broadcast(topic, 2);
      await harness().quiet();
      expect(collector.messages).toEqual([1]);
    });

    it('keeps broadcasts and queues of the same name apart', async () => {
      const transport = await harness().connect();
      const name = harness().name('samename');
      const queue = harness().collector();
      const topic = harness().collector();
      await transport.subscribe(name, queue.callback);
      await transport.subscribeBroadcast(name, topic.callback);
      await transport.send(name, 'to the queue');
      await transport.broadcast(name, 'to the topic');
      await Promise.all([queue.waitFor(1), topic.waitFor(1)]);
      await harness().quiet();
      expect(queue.messages).toEqual(['to the queue']);
      expect(topic.messages).toEqual(['to the topic']);
    });
  });
}
