/**
 * Running transport operations through middleware (transport.ts, `TransportMiddleware`): the hooks of
 * each operation, collected once when middleware is added, so that an operation no middleware hooks
 * costs one length check and nothing else.
 */
import type {
  AckCall,
  IncomingMessage,
  MiddlewareNext,
  NackCall,
  OutgoingMessage,
  SubscribeCall,
  SubscriptionId,
  TransactionBeginCall,
  TransactionCall,
  TransactionId,
  TransportMiddleware,
  UnsubscribeCall,
} from '../transport';

/** One middleware's hook for an operation, bound to its middleware. */
export type MiddlewareHook<Call, Result = void> = (
  call: Call,
  next: MiddlewareNext<Call, Result>,
) => Promise<Result>;

/** Each operation's hooks, outermost first. */
export interface MiddlewareChains {
  readonly send: readonly MiddlewareHook<OutgoingMessage>[];
  readonly receive: readonly MiddlewareHook<IncomingMessage>[];
  readonly subscribe: readonly MiddlewareHook<SubscribeCall, SubscriptionId>[];
  readonly unsubscribe: readonly MiddlewareHook<UnsubscribeCall>[];
  readonly ack: readonly MiddlewareHook<AckCall>[];
  readonly nack: readonly MiddlewareHook<NackCall>[];
  readonly transactionBegin: readonly MiddlewareHook<TransactionBeginCall, TransactionId>[];
  readonly transactionCommit: readonly MiddlewareHook<TransactionCall>[];
  readonly transactionAbort: readonly MiddlewareHook<TransactionCall>[];
}

/** The chains of no middleware. */
export const NO_MIDDLEWARE: MiddlewareChains = Object.freeze({
  send: [],
  receive: [],
  subscribe: [],
  unsubscribe: [],
  ack: [],
  nack: [],
  transactionBegin: [],
  transactionCommit: [],
  transactionAbort: [],
});

function hooks<Call, Result>(
  list: readonly TransportMiddleware[],
  hook: (middleware: TransportMiddleware) => MiddlewareHook<Call, Result> | undefined,
): MiddlewareHook<Call, Result>[] {
  return list.flatMap((middleware) => {
    const found = hook(middleware);
    return found ? [found.bind(middleware)] : [];
  });
}

/** Each operation's hooks of `list`, in the order the middleware was added. */
export function middlewareChains(list: readonly TransportMiddleware[]): MiddlewareChains {
  return {
    send: hooks(list, (m) => m.send),
    receive: hooks(list, (m) => m.receive),
    subscribe: hooks(list, (m) => m.subscribe),
    unsubscribe: hooks(list, (m) => m.unsubscribe),
    ack: hooks(list, (m) => m.ack),
    nack: hooks(list, (m) => m.nack),
    transactionBegin: hooks(list, (m) => m.transactionBegin),
    transactionCommit: hooks(list, (m) => m.transactionCommit),
    transactionAbort: hooks(list, (m) => m.transactionAbort),
  };
}

/**
 * Run `call` through `chain` and then `last` (the operation itself). A hook that throws instead of
 * rejecting stops the operation the same way.
 */
export function runChain<Call, Result>(
  chain: readonly MiddlewareHook<Call, Result>[],
  call: Call,
  last: (call: Call) => Promise<Result>,
): Promise<Result> {
  const step = (index: number, current: Call): Promise<Result> => {
    try {
      return index === chain.length ? last(current) : chain[index](current, (next) => step(index + 1, next));
    } catch (error) {
      return rejected(error);
    }
  };
  return step(0, call);
}

// The thrown value as it is (not wrapped): the caller sees the middleware's own error.
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error);
}
