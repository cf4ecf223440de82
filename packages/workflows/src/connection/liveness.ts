/**
 * A liveness check of our own on a broker socket. A link that goes silent (no FIN, no data: a cable
 * pulled, a firewall dropping state, a broker host frozen) is invisible to TCP for minutes, and the
 * protocol clients' own heart-beat checks run in coarse windows (stompit's once per 30 s, amqplib's
 * after two to three intervals). With heart-beats negotiated, the broker sends something at least
 * once per interval, so a socket that has read nothing for `silenceMs` is dead: it is destroyed, and
 * the transport's usual lost-connection path reconnects.
 */
import type { Socket } from 'node:net';

export interface LivenessOptions {
  /** Longest silence (nothing read) before the link counts as dead, in ms; 0 turns the check off. */
  readonly silenceMs: number;
  /** Called once, just before the socket is destroyed, with the error it is destroyed with. */
  readonly onSilent?: (error: Error) => void;
  /** Names the link in the error, e.g. `amqp transport: the publish connection to 127.0.0.1:5672`. */
  readonly describe: string;
}

/** Watch `socket`; returns a function that stops watching (also stopped when the socket closes). */
export function watchLiveness(socket: Socket, options: LivenessOptions): () => void {
  if (!(options.silenceMs > 0)) return () => undefined;
  // Polling bytesRead needs no listener on the stream (a 'data' listener could change its flow mode).
  let lastRead = Date.now();
  let bytesRead = socket.bytesRead;
  // Checked four times per allowed silence: a dead link is found within 1.25 × silenceMs.
  const timer = setInterval(
    () => {
      const now = Date.now();
      if (socket.bytesRead !== bytesRead) {
        bytesRead = socket.bytesRead;
        lastRead = now;
        return;
      }
      const silent = now - lastRead;
      if (silent < options.silenceMs) return;
      stop();
      const error = new Error(
        `${options.describe} read nothing for ${Math.round(silent / 100) / 10} s (heart-beats included); ` +
          'the link is dead: dropping it to reconnect',
      );
      options.onSilent?.(error);
      socket.destroy(error);
    },
    Math.max(50, Math.floor(options.silenceMs / 4)),
  );
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    socket.off('close', stop);
  };
  socket.on('close', stop);
  return stop;
}
