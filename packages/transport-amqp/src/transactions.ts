/**
 * The open transactions of the transport. A transaction's sends and acks are kept here until the
 * commit writes them, together, on one channel in AMQP transaction mode (tx-channel.ts): AMQP
 * transactions live on one channel, and an ack must go to the channel that delivered the message, so
 * a transaction settles messages of one subscription only (the one named at `transactionBegin`, or
 * else the first one it settles).
 */
import type { Channel } from 'amqplib';
import type { SubscriptionRecord, TransactionId } from '@zocalo/workflows';
import { InvalidArgumentError } from '@zocalo/workflows';
import type { Route } from './routing';
import type { AckAction } from './tx-channel';

/** An ack or nack held for the commit, with the channel that delivered the message. */
export interface TransactionAck {
  readonly record: SubscriptionRecord;
  readonly channel: Channel | undefined;
  readonly tag: number;
  readonly action: AckAction;
}

export interface OpenTransaction {
  /** The subscription whose channel carries the transaction; undefined until it settles a message. */
  subscription: SubscriptionRecord | undefined;
  readonly routes: Route[];
  readonly acks: TransactionAck[];
}

export class TransactionBook {
  private readonly open = new Map<TransactionId, OpenTransaction>();

  begin(transaction: TransactionId, subscription: SubscriptionRecord | undefined): void {
    this.open.set(transaction, { subscription, routes: [], acks: [] });
  }

  /**
   * The open transaction; with `record`, one that may settle messages of that subscription (binding
   * the transaction to it if it was not yet bound). Throws InvalidArgumentError otherwise.
   */
  get(transaction: TransactionId, record?: SubscriptionRecord): OpenTransaction {
    const open = this.open.get(transaction);
    if (!open) throw new InvalidArgumentError(`amqp transport: transaction ${transaction} is not open`);
    if (record) {
      open.subscription ??= record;
      if (open.subscription !== record) {
        throw new InvalidArgumentError(
          `amqp transport: transaction ${transaction} settles messages of subscription ${open.subscription.id}; ` +
            `an AMQP transaction lives on one channel, so it cannot also settle messages of subscription ${record.id}`,
        );
      }
    }
    return open;
  }

  /** Remove the transaction and hand over what it holds (undefined if it holds nothing). */
  take(transaction: TransactionId): OpenTransaction | undefined {
    const open = this.open.get(transaction);
    this.open.delete(transaction);
    return open && (open.routes.length > 0 || open.acks.length > 0) ? open : undefined;
  }

  drop(transaction: TransactionId): void {
    this.open.delete(transaction);
  }

  clear(): void {
    this.open.clear();
  }
}
