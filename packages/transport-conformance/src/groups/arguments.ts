import type { HeaderValue } from '@zocalo/workflows';
import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** Bad arguments get a clear InvalidArgumentError and nothing is sent. */
export function argumentTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('bad arguments', () => {
    const harness = useHarness(options);

    it('rejects empty destination names', async () => {
      const transport = await harness().connect();
      await expectError(transport.send('', 1), 'InvalidArgumentError');
      await expectError(transport.broadcast('', 1), 'InvalidArgumentError');
      await expectError(
        transport.subscribe('', () => undefined),
        'InvalidArgumentError',
      );
      await expectError(
        transport.subscribeBroadcast('', () => undefined),
        'InvalidArgumentError',
      );
    });

    it('rejects header values that are not text, numbers or booleans, and sends nothing', async () => {
      const transport = await harness().connect();
      const queue = harness().name('badheader');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      await expectError(
        transport.send(queue, 1, { headers: { nested: { a: 1 } as unknown as HeaderValue } }),
        'InvalidArgumentError',
      );
      await expectError(
        transport.send(queue, 1, { headers: { missing: null as unknown as HeaderValue } }),
        'InvalidArgumentError',
      );
      // No broker carries a non-finite number as a header.
      for (const number of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        await expectError(transport.send(queue, 1, { headers: { number } }), 'InvalidArgumentError');
      }
      await harness().quiet();
      expect(collector.deliveries).toHaveLength(0);
    });

    it('refuses a header that could not arrive as one: named __proto__ or keyed by a symbol', async () => {
      const transport = await harness().connect();
      const queue = harness().name('protoheader');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      // JSON.parse makes `__proto__` an own property, as a header read from a file or a message would be.
      const proto = JSON.parse('{"__proto__": "x", "kept": "y"}') as Record<string, HeaderValue>;
      await expectError(transport.send(queue, 1, { headers: proto }), 'InvalidArgumentError');
      await expectError(transport.broadcast(queue, 1, { headers: proto }), 'InvalidArgumentError');
      const symbol = { [Symbol('name')]: 'x' } as unknown as Record<string, HeaderValue>;
      await expectError(transport.send(queue, 1, { headers: symbol }), 'InvalidArgumentError');
      await harness().quiet();
      expect(collector.deliveries).toHaveLength(0);
    });

    it('rejects a raw body that is neither text nor bytes', async () => {
      const transport = await harness().connect();
      const queue = harness().name('badraw');
      await expectError(transport.rawSend(queue, { a: 1 } as unknown as string), 'InvalidArgumentError');
    });

    it('rejects a subscription without a callback', async () => {
      const transport = await harness().connect();
      const queue = harness().name('nocallback');
      await expectError(
        transport.subscribe(queue, undefined as unknown as Parameters<typeof transport.subscribe>[1]),
        'InvalidArgumentError',
      );
    });
  });
}
