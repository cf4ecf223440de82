import type { Transport } from '@zocalo/workflows';
import { expectError } from '../expect-error';
import type { ConformanceOptions } from '../harness';
import { sleep, useHarness } from '../harness';
import { expect } from '../expect';
import { runnerFor } from '../runner';

/** transactionBegin/Commit/Abort: sends and acks take effect together on commit, not at all on abort. */
export function transactionTests(options: ConformanceOptions): void {
  const { describe, it } = runnerFor(options);
  describe('transactions', () => {
    const harness = useHarness(options);

    /** Connects; when transactions are not offered, checks the clear error and returns undefined. */
    async function transactional(): Promise<Transport | undefined> {
      const transport = await harness().connect();
      if (transport.capabilities.transactions) return transport;
      await expectError(transport.transactionBegin(), 'UnsupportedCapabilityError');
      await expectError(transport.send('any', 1, { transaction: 1 }), 'UnsupportedCapabilityError');
      return undefined;
    }

    it('publishes a transaction’s sends only on commit', async () => {
      const transport = await transactional();
      if (!transport) return;
      const queue = harness().name('txsend');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const transaction = await transport.transactionBegin();
      await transport.send(queue, { n: 1 }, { transaction });
      await transport.send(queue, { n: 2 }, { transaction });
      await harness().quiet();
      expect(collector.deliveries).toHaveLength(0);
      await transport.transactionCommit(transaction);
      await collector.waitFor(2);
      expect(collector.messages).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('drops a transaction’s sends on abort', async () => {
      const transport = await transactional();
      if (!transport) return;
      const queue = harness().name('txabort');
      const collector = harness().collector();
      await transport.subscribe(queue, collector.callback);
      const transaction = await transport.transactionBegin();
      await transport.send(queue, { dropped: true }, { transaction });
      await transport.transactionAbort(transaction);
      await transport.send(queue, { kept: true });
      await collector.waitFor(1);
      await harness().quiet();
      expect(collector.messages).toEqual([{ kept: true }]);
    });

    it('commits the ack of the input and the send of the output together', async () => {
      const transport = await transactional();
      if (!transport) return;
      const input = harness().name('txin');
      const output = harness().collector();
      const outputQueue = harness().name('txout');
      await transport.subscribe(outputQueue, output.callback);
      const worker = harness().collector();
      const id = await transport.subscribe(input, worker.callback, { acknowledgement: true });
      await transport.send(input, { work: 1 });
      const [delivery] = await worker.waitFor(1);
      const transaction = await transport.transactionBegin({ subscription: id });
      await transport.ack(delivery.header, { transaction });
      await transport.send(outputQueue, { result: 1 }, { transaction });
      await transport.transactionCommit(transaction);
      await output.waitFor(1);
      expect(output.messages).toEqual([{ result: 1 }]);
      // The input is gone for good: a new consumer sees nothing.
      await transport.unsubscribe(id);
      await sleep(options.redeliveryPause ?? 0);
      const again = harness().collector();
      await transport.subscribe(input, again.callback, { acknowledgement: true });
      await harness().quiet();
      expect(again.deliveries).toHaveLength(0);
    });

    it('keeps the input unacknowledged when the transaction holding its ack aborts', async () => {
      const transport = await transactional();
      if (!transport) return;
      const input = harness().name('txackabort');
      const worker = harness().collector();
      const id = await transport.subscribe(input, worker.callback, { acknowledgement: true });
      await transport.send(input, { work: 2 });
      const [delivery] = await worker.waitFor(1);
      const transaction = await transport.transactionBegin({ subscription: id });
      await transport.ack(delivery.header, { transaction });
      await transport.transactionAbort(transaction);
      // Still unacknowledged: ending the subscription releases it for redelivery.
      await transport.unsubscribe(id);
      await sleep(options.redeliveryPause ?? 0);
      const again = harness().collector((header) => transport.ack(header));
      await transport.subscribe(input, again.callback, { acknowledgement: true });
      await again.waitFor(1);
      expect(again.messages).toEqual([{ work: 2 }]);
    });

    // ActiveMQ refuses a NACK inside a transaction ("Poison ack cannot be transacted") and then refuses
    // the COMMIT: a transport must still dead-letter the message, once, when the commit succeeds.
    it('dead-letters a message nacked inside a transaction once, on commit, with the transaction’s sends', async () => {
      const transport = await transactional();
      if (!transport) return;
      const input = harness().name('txreject');
      const outputQueue = harness().name('txrejectout');
      const output = harness().collector();
      await transport.subscribe(outputQueue, output.callback);
      const worker = harness().collector();
      const id = await transport.subscribe(input, worker.callback, { acknowledgement: true });
      await transport.send(input, { poison: 'in a transaction' });
      const [delivery] = await worker.waitFor(1);
      const transaction = await transport.transactionBegin({ subscription: id });
      await transport.send(outputQueue, { note: 'rejected' }, { transaction });
      await transport.nack(delivery.header, { transaction });
      await transport.transactionCommit(transaction);
      await output.waitFor(1);
      await harness().quiet(Math.max(harness().quietPeriod, 1000));
      expect(worker.deliveries).toHaveLength(1);
      await transport.unsubscribe(id);
      await sleep(options.redeliveryPause ?? 0);
      const again = harness().collector();
      await transport.subscribe(input, again.callback, { acknowledgement: true });
      await harness().quiet();
      expect(again.deliveries).toHaveLength(0);
      const dlq = options.deadLetterQueue?.(input);
      if (dlq) {
        const dead = harness().collector((header) => transport.ack(header));
        await transport.subscribe(dlq, dead.callback, { acknowledgement: true });
        await dead.waitFor(1);
        await harness().quiet();
        expect(dead.messages).toEqual([{ poison: 'in a transaction' }]);
      }
      expect(output.messages).toEqual([{ note: 'rejected' }]);
    });

    it('keeps a message nacked inside a transaction that aborts', async () => {
      const transport = await transactional();
      if (!transport) return;
      const input = harness().name('txrejectabort');
      const worker = harness().collector();
      const id = await transport.subscribe(input, worker.callback, { acknowledgement: true });
      await transport.send(input, { kept: true });
      const [delivery] = await worker.waitFor(1);
      const transaction = await transport.transactionBegin({ subscription: id });
      await transport.nack(delivery.header, { transaction });
      await transport.transactionAbort(transaction);
      await transport.unsubscribe(id);
      await sleep(options.redeliveryPause ?? 0);
      const again = harness().collector((header) => transport.ack(header));
      await transport.subscribe(input, again.callback, { acknowledgement: true });
      await again.waitFor(1);
      expect(again.messages).toEqual([{ kept: true }]);
      const dlq = options.deadLetterQueue?.(input);
      if (dlq) {
        const dead = harness().collector();
        await transport.subscribe(dlq, dead.callback, { acknowledgement: true });
        await harness().quiet();
        expect(dead.deliveries).toHaveLength(0);
      }
    });

    it('rejects unknown or finished transactions with UnknownTransactionError', async () => {
      const transport = await transactional();
      if (!transport) return;
      const queue = harness().name('txunknown');
      await expectError(transport.transactionCommit(424242), 'UnknownTransactionError');
      await expectError(transport.transactionAbort(424242), 'UnknownTransactionError');
      await expectError(transport.send(queue, 1, { transaction: 424242 }), 'UnknownTransactionError');
      const transaction = await transport.transactionBegin();
      await transport.transactionCommit(transaction);
      await expectError(transport.transactionCommit(transaction), 'UnknownTransactionError');
    });
  });
}
