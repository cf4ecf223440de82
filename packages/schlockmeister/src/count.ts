/**
 * `zocalo dlq check` for brokers whose queue statistics cannot be read (ActiveMQ over STOMP without
 * XStream, see the README): counts the messages of named queues by holding them — subscribe with
 * acknowledgement and a large prefetch, count the deliveries until none arrive for `idleTimeout` seconds,
 * then unsubscribe, which releases every one of them unacked (they stay in the queue; ActiveMQ marks them
 * redelivered). Meant for dead-letter queues, which no service consumes.
 */
import type { Transport } from '@zocalo/workflows';

export interface CountByHoldingOptions {
  /** Seconds without a delivery after which counting stops. Default 1. */
  readonly idleTimeout?: number;
  /** Most messages held (the prefetch): counts stop here. Default 10000. */
  readonly max?: number;
}

export interface QueueCount {
  readonly queue: string;
  readonly messages: number;
  /** True when the count reached `max` (there may be more). */
  readonly atLeast: boolean;
}

export async function countByHolding(
  transport: Transport,
  queues: readonly string[],
  options: CountByHoldingOptions = {},
): Promise<QueueCount[]> {
  const idleMs = (options.idleTimeout ?? 1) * 1000;
  const max = options.max ?? 10_000;
  const counts: QueueCount[] = [];
  for (const queue of queues) {
    let messages = 0;
    let lastActivity = Date.now();
    const subscription = await transport.subscribe(
      queue,
      () => {
        messages += 1;
        lastActivity = Date.now();
      },
      { acknowledgement: true, disableMangling: true, prefetch: max },
    );
    try {
      while (Date.now() - lastActivity < idleMs && messages < max) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(50, idleMs)));
      }
    } finally {
      await transport.unsubscribe(subscription);
    }
    counts.push({ queue, messages, atLeast: messages >= max });
  }
  return counts;
}
