/**
 * A channel in AMQP transaction mode (`tx.select`). Everything written on such a channel takes effect
 * at the next `tx.commit`, so the writes of one Zocalo transaction are written together and committed
 * at once, and commits never interleave. An ack outside any transaction on a channel in transaction
 * mode must be committed as well: such acks are gathered and committed together, as soon as possible.
 *
 * amqplib has no transaction methods; its channel's generic `rpc` sends `tx.select` and `tx.commit`
 * by their method ids (AMQP class 90).
 */
import type { Channel, Message } from 'amqplib';
import { DestinationNotFoundError } from '@zocalo/workflows';

const TX_SELECT = 0x005a000a;
const TX_SELECT_OK = 0x005a000b;
const TX_COMMIT = 0x005a0014;
const TX_COMMIT_OK = 0x005a0015;

/** The part of amqplib's channel that sends an arbitrary method and waits for its reply. */
interface RpcChannel {
  rpc(method: number, fields: Record<string, never>, expect: number): Promise<unknown>;
}

/** How a delivery is settled: ack, release for redelivery, or reject (dead-letter or drop). */
export type AckAction = 'ack' | 'requeue' | 'reject';

/** Settle one delivery on its channel (throws if the channel is closed). */
export function writeAck(channel: Channel, tag: number, action: AckAction): void {
  const message = { fields: { deliveryTag: tag } } as Message;
  if (action === 'ack') channel.ack(message);
  else if (action === 'requeue') channel.nack(message, false, true);
  else channel.reject(message, false);
}

export class TxChannel {
  private selected: Promise<unknown> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private plain: Array<() => void> = [];
  private plainCommit: Promise<void> | undefined;
  private returned: string[] = [];

  constructor(
    readonly channel: Channel,
    private readonly transportName: string,
  ) {
    channel.on('return', (message: Message) => this.returned.push(message.fields.routingKey));
  }

  private rpc(method: number, expect: number): Promise<unknown> {
    return (this.channel as unknown as RpcChannel).rpc(method, {}, expect);
  }

  /**
   * Write a transaction's operations (synchronously, in `write`) and commit them. Rejects with
   * DestinationNotFoundError if the broker returned a message as unroutable; the rest is committed.
   */
  commit(write: () => void): Promise<void> {
    const run = async (): Promise<void> => {
      this.selected ??= this.rpc(TX_SELECT, TX_SELECT_OK);
      await this.selected;
      this.returned = [];
      write();
      await this.rpc(TX_COMMIT, TX_COMMIT_OK);
      if (this.returned.length > 0) {
        throw new DestinationNotFoundError(this.returned[0], this.transportName);
      }
    };
    const result = this.chain.then(run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** A write that is not part of any transaction (a plain ack): committed with others, soon. */
  now(write: () => void): Promise<void> {
    this.plain.push(write);
    this.plainCommit ??= this.commit(() => {
      const writes = this.plain;
      this.plain = [];
      this.plainCommit = undefined;
      for (const each of writes) each();
    });
    return this.plainCommit;
  }
}
