/**
 * A message whose properties amqplib cannot decode must cost that message, not the connection.
 *
 * amqplib decodes a header table recursively; a table nested a few thousand levels deep (any
 * producer can send one, and RabbitMQ passes it on) overflows the stack inside its frame loop, which
 * takes the whole connection down. The broker then redelivers the same message to the next
 * connection, forever, and the messages behind it are never delivered. Here a content-header frame
 * that fails to decode is replaced by one with empty properties, marked with {@link UNDECODABLE}, so
 * the channel still assembles the message (body frames follow) and the transport dead-letters it
 * with the reason (amqp-transport.ts, `onMessage`). Every other frame that fails is amqplib's
 * business, as before.
 */
import type { ChannelModel } from 'amqplib';

/** On the properties of a message whose content header could not be decoded: why. */
export const UNDECODABLE: unique symbol = Symbol('zocalo.amqp.undecodable');

/** The properties of such a message. */
export interface UndecodableProperties {
  readonly headers: Record<string, never>;
  readonly [UNDECODABLE]: string;
}

/** The reason a message's properties could not be decoded, or undefined if they were. */
export function undecodableReason(properties: object): string | undefined {
  return (properties as Partial<UndecodableProperties>)[UNDECODABLE];
}

/** AMQP 0-9-1 frame layout (section 4.2.3): type, channel, payload size, payload, frame-end. */
const FRAME_HEADER = 2;
const FRAME_OVERHEAD = 8;

/** The amqplib internals this relies on (lib/connection.js). */
interface ConnectionInternals {
  rest?: Buffer;
  recvFrame?: () => unknown;
}

/** What a content-header frame that decoded would look like to amqplib's channel. */
interface HeaderFrame {
  readonly id: number;
  readonly channel: number;
  readonly size: number;
  readonly fields: UndecodableProperties;
}

/** The content-header frame complete at the start of `buffer`, if that is what is there. */
function completeHeaderFrame(buffer: Buffer | undefined): { channel: number; payload: Buffer } | undefined {
  if (!buffer || buffer.length < 7 || buffer[0] !== FRAME_HEADER) return undefined;
  const size = buffer.readUInt32BE(3);
  if (buffer.length < size + FRAME_OVERHEAD || size < 12) return undefined;
  return { channel: buffer.readUInt16BE(1), payload: buffer.subarray(7, 7 + size) };
}

/** Guard the connection's frame decoding (see the file comment); a no-op if amqplib's internals differ. */
export function guardContentHeaders(model: ChannelModel): void {
  const connection = model.connection as unknown as ConnectionInternals;
  const receive = connection.recvFrame;
  if (typeof receive !== 'function' || !Buffer.isBuffer(connection.rest)) return;
  connection.recvFrame = function guardedRecvFrame(this: ConnectionInternals): unknown {
    // amqplib decodes the frame at the start of `rest` when it is complete there; when it is not, it
    // reads more and calls recvFrame again (this function), which then sees the whole frame.
    const frame = completeHeaderFrame(this.rest);
    try {
      return receive.call(this);
    } catch (error) {
      if (frame === undefined) throw error;
      const replaced: HeaderFrame = {
        id: frame.payload.readUInt16BE(0),
        channel: frame.channel,
        size: Number(frame.payload.readBigUInt64BE(4)),
        fields: {
          headers: {},
          [UNDECODABLE]: `its properties cannot be decoded (${error instanceof Error ? error.message : String(error)})`,
        },
      };
      return replaced;
    }
  };
}
