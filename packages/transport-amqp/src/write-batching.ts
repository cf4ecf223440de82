/**
 * One socket write per batch of frames instead of one per frame.
 *
 * amqplib queues each channel's frames (one per publish, ack, ...) and its multiplexer copies them to
 * the socket in a `setImmediate` pass, one `socket.write` each; on an uncorked socket each is a system
 * call, which costs more client CPU than everything else a send does. Corking the socket for the
 * length of that pass writes the frames of the pass together (one `writev`), with no added latency:
 * the pass runs when it would anyway, and uncorking flushes before it returns. Flow control is
 * unchanged: `write` still reports a full buffer, and the multiplexer still waits for `drain`.
 */
import type { ChannelModel } from 'amqplib';

/** The amqplib internals this relies on (lib/connection.js, lib/mux.js). */
interface Multiplexer {
  _readIncoming(): void;
}
interface Corkable {
  cork(): void;
  uncork(): void;
}
interface ConnectionInternals {
  readonly muxer?: Multiplexer;
  readonly stream?: Partial<Corkable>;
}

/** Batch the connection's frame writes (see the file comment); a no-op if amqplib's internals differ. */
export function batchWrites(model: ChannelModel): void {
  const connection = model.connection as unknown as ConnectionInternals;
  const muxer = connection.muxer;
  const socket = connection.stream;
  if (
    !muxer ||
    typeof muxer._readIncoming !== 'function' ||
    typeof socket?.cork !== 'function' ||
    typeof socket.uncork !== 'function'
  ) {
    return;
  }
  const stream = socket as Corkable;
  const pass = muxer._readIncoming;
  muxer._readIncoming = function batchedPass(this: Multiplexer): void {
    stream.cork();
    try {
      pass.call(this);
    } finally {
      stream.uncork();
    }
  };
}
