import type { Transport } from '@zocalo/workflows';
import { DisconnectedError, MemoryBroker, MemoryTransport, RecordingLogger } from '@zocalo/workflows';
import type { RetrySchedule } from '../src';

/** A connected memory transport on its own broker (or a shared one). */
export async function memoryTransport(broker = new MemoryBroker()): Promise<MemoryTransport> {
  const transport = new MemoryTransport({ broker, logger: new RecordingLogger() });
  await transport.connect();
  return transport;
}

/** A retry schedule that records the waits and does not wait. */
export function instantSchedule(attempts = 12): RetrySchedule & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    attempts,
    delaySeconds: (attempt) => 3 * attempt * attempt,
    sleep: async (milliseconds) => void waits.push(milliseconds),
  };
}

/**
 * A transport that delegates to `inner` but whose send/broadcast/connect can be made to fail, for
 * the retry tests.
 */
export function faultyTransport(
  inner: Transport,
  faults: { send?: () => Error | undefined; connect?: () => Error | undefined },
): Transport & { calls: { send: number; connect: number } } {
  const calls = { send: 0, connect: 0 };
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'calls') return calls;
      if (property === 'send' || property === 'broadcast') {
        return (...args: unknown[]) => {
          calls.send++;
          const error = faults.send?.();
          if (error) return Promise.reject(error);
          const method = Reflect.get(target, property, receiver) as (...a: unknown[]) => Promise<void>;
          return method.apply(target, args);
        };
      }
      if (property === 'connect') {
        return () => {
          calls.connect++;
          const error = faults.connect?.();
          return error ? Promise.reject(error) : target.connect();
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Transport & { calls: { send: number; connect: number } };
}

/**
 * A transport that owns "try again" as the broker transports do, over `inner`: a send while
 * disconnected is refused untried (DisconnectedError); a send while connected is tried `failures`
 * times in vain (a connection lost and re-established under it), then rejected with `final()` (its
 * sendTimeout passed, say) or, without `final`, sent. `calls.attempts` counts the transport's own tries.
 */
export function reconnectingTransport(
  inner: Transport,
  behaviour: { readonly failures: number; readonly final?: () => Error },
): Transport & { calls: { send: number; attempts: number; connect: number } } {
  const calls = { send: 0, attempts: 0, connect: 0 };
  const send = async (method: 'send' | 'broadcast', args: unknown[]): Promise<void> => {
    calls.send++;
    if (!inner.isConnected()) throw new DisconnectedError(method, inner.name);
    for (let attempt = 1; attempt <= behaviour.failures; attempt++) calls.attempts++;
    if (behaviour.final) throw behaviour.final();
    calls.attempts++;
    const forward = inner[method] as (...a: unknown[]) => Promise<void>;
    await forward.apply(inner, args);
  };
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'calls') return calls;
      if (property === 'send' || property === 'broadcast') {
        return (...args: unknown[]) => send(property, args);
      }
      if (property === 'connect') {
        return () => {
          calls.connect++;
          return target.connect();
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Transport & { calls: { send: number; attempts: number; connect: number } };
}

export interface RecordedSend {
  readonly method: 'send' | 'broadcast';
  readonly destination: string;
  readonly message: unknown;
  readonly options: unknown;
}

/** A transport that delegates to `inner` and records every send and broadcast. */
export function recordingTransport(inner: Transport): Transport & { sent: RecordedSend[] } {
  const sent: RecordedSend[] = [];
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'sent') return sent;
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'send' || property === 'broadcast') {
        return (destination: string, message: unknown, options: unknown) => {
          sent.push({ method: property, destination, message: JSON.parse(JSON.stringify(message)), options });
          return (value as (...a: unknown[]) => Promise<void>).call(target, destination, message, options);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Transport & { sent: RecordedSend[] };
}
