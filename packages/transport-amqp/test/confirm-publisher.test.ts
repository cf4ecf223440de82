/** The confirm publisher against a scripted channel: confirms, returns, nacks, lost channels, drain. */
import { EventEmitter } from 'node:events';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { BrokerError, DestinationNotFoundError, RecordingLogger } from '@zocalo/workflows';
import { ChannelLostError, ConfirmPublisher } from '../src/confirm-publisher';

interface Published {
  readonly routingKey: string;
  readonly content: Buffer;
  readonly confirm: (error: Error | null) => void;
}

class ScriptedChannel extends EventEmitter {
  readonly published: Published[] = [];
  room = true;

  publish(
    _exchange: string,
    routingKey: string,
    content: Buffer,
    _options: Options.Publish,
    confirm: (error: Error | null) => void,
  ): boolean {
    this.published.push({ routingKey, content, confirm });
    return this.room;
  }

  returnMessage(routingKey: string, content: string): void {
    this.emit('return', {
      fields: { exchange: '', routingKey },
      content: Buffer.from(content),
    } as unknown as Message);
  }

  /** What amqplib does when a channel closes with publishes unconfirmed. */
  lose(): void {
    for (const each of this.published.splice(0)) each.confirm(new Error('channel closed'));
    this.emit('close');
  }

  async close(): Promise<void> {}
}

function publisher(channel: ScriptedChannel, onLost?: ConstructorParameters<typeof ConfirmPublisher>[3]) {
  return new ConfirmPublisher(channel as unknown as ConfirmChannel, 'amqp', new RecordingLogger(), onLost);
}

const options: Options.Publish = { mandatory: true };

describe('confirm publisher', () => {
  it('resolves on the confirm, and rejects the returned one of several sends to the same queue', async () => {
    const channel = new ScriptedChannel();
    const sender = publisher(channel);
    const first = sender.publish('', 'q', Buffer.from('a'), options);
    const second = sender.publish('', 'q', Buffer.from('b'), options);
    const third = sender.publish('', 'other', Buffer.from('b'), options);
    expect(sender.pending).toBe(3);
    channel.returnMessage('q', 'b');
    for (const each of channel.published) each.confirm(null);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toBeInstanceOf(DestinationNotFoundError);
    await expect(third).resolves.toBeUndefined();
    expect(sender.pending).toBe(0);
  });

  it('rejects a message the broker nacks with BrokerError', async () => {
    const channel = new ScriptedChannel();
    const sending = publisher(channel).publish('', 'q', Buffer.from('x'), options);
    channel.published[0].confirm(new Error('message nacked'));
    await expect(sending).rejects.toBeInstanceOf(BrokerError);
  });

  it('hands sends of a lost channel to the lost-publish handler, or rejects them with ChannelLostError', async () => {
    const channel = new ScriptedChannel();
    const retried: unknown[] = [];
    const sender = publisher(channel, async (token) => void retried.push(token));
    const withToken = sender.publish('', 'q', Buffer.from('1'), options, 'token-1');
    const without = sender.publish('', 'q', Buffer.from('2'), options);
    channel.lose();
    await expect(withToken).resolves.toBeUndefined();
    await expect(without).rejects.toBeInstanceOf(ChannelLostError);
    expect(retried).toEqual(['token-1']);
    // Publishing on the closed channel fails the same way, at once.
    await expect(sender.publish('', 'q', Buffer.from('3'), options)).rejects.toBeInstanceOf(ChannelLostError);
    await expect(sender.settled()).resolves.toBeUndefined();
  });

  it('holds later sends back while the write buffer is full, and writes them in order on drain', async () => {
    const channel = new ScriptedChannel();
    const sender = publisher(channel);
    channel.room = false;
    const sends = ['a', 'b', 'c'].map((body) => sender.publish('', 'q', Buffer.from(body), options));
    expect(channel.published.map((each) => each.content.toString())).toEqual(['a']);
    expect(sender.pending).toBe(3);
    channel.room = true;
    channel.emit('drain');
    expect(channel.published.map((each) => each.content.toString())).toEqual(['a', 'b', 'c']);
    const idle = sender.settled();
    for (const each of channel.published) each.confirm(null);
    await Promise.all(sends);
    await idle;
  });
});
