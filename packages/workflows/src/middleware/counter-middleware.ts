/**
 * python-workflows' `CounterMiddleware`: counts the operations a transport runs, each logged at info
 * with its running count (`send() count: 3`), for seeing what a service does without a metrics stack.
 * Counted after the operation succeeds, except subscriptions and transaction begins, which Python
 * counts before the call.
 */
import type { Logger } from '../logger';
import { getDefaultLogger } from '../logger';
import type {
  AckCall,
  MiddlewareNext,
  NackCall,
  OutgoingMessage,
  SubscribeCall,
  SubscriptionId,
  TransactionBeginCall,
  TransactionCall,
  TransactionId,
  TransportMiddleware,
} from '../transport';

/** The counts, by python-workflows' names without `_count`. */
export interface OperationCounts {
  subscribe: number;
  subscribeBroadcast: number;
  subscribeTemporary: number;
  send: number;
  broadcast: number;
  ack: number;
  nack: number;
  transactionBegin: number;
  transactionAbort: number;
  transactionCommit: number;
}

const SUBSCRIBE_COUNT = {
  queue: 'subscribe',
  topic: 'subscribeBroadcast',
  temporary: 'subscribeTemporary',
} as const satisfies Record<SubscribeCall['kind'], keyof OperationCounts>;

const PYTHON_NAMES: Readonly<Record<keyof OperationCounts, string>> = {
  subscribe: 'subscribe',
  subscribeBroadcast: 'subscribe_broadcast',
  subscribeTemporary: 'subscribe_temporary',
  send: 'send',
  broadcast: 'broadcast',
  ack: 'ack',
  nack: 'nack',
  transactionBegin: 'transaction_begin',
  transactionAbort: 'transaction_abort',
  transactionCommit: 'transaction_commit',
};

export class CounterMiddleware implements TransportMiddleware {
  readonly name = 'counter';
  readonly counts: OperationCounts = {
    subscribe: 0,
    subscribeBroadcast: 0,
    subscribeTemporary: 0,
    send: 0,
    broadcast: 0,
    ack: 0,
    nack: 0,
    transactionBegin: 0,
    transactionAbort: 0,
    transactionCommit: 0,
  };
  private readonly logger: Logger;

  constructor(options: { readonly logger?: Logger } = {}) {
    this.logger = options.logger ?? getDefaultLogger();
  }

  private count(operation: keyof OperationCounts): void {
    const count = ++this.counts[operation];
    this.logger.info({ operation, count }, `${PYTHON_NAMES[operation]}() count: ${count}`);
  }

  subscribe(
    call: SubscribeCall,
    next: MiddlewareNext<SubscribeCall, SubscriptionId>,
  ): Promise<SubscriptionId> {
    this.count(SUBSCRIBE_COUNT[call.kind]);
    return next(call);
  }

  async send(outgoing: OutgoingMessage, next: MiddlewareNext<OutgoingMessage>): Promise<void> {
    await next(outgoing);
    this.count(outgoing.kind === 'queue' ? 'send' : 'broadcast');
  }

  async ack(call: AckCall, next: MiddlewareNext<AckCall>): Promise<void> {
    await next(call);
    this.count('ack');
  }

  async nack(call: NackCall, next: MiddlewareNext<NackCall>): Promise<void> {
    await next(call);
    this.count('nack');
  }

  transactionBegin(
    call: TransactionBeginCall,
    next: MiddlewareNext<TransactionBeginCall, TransactionId>,
  ): Promise<TransactionId> {
    this.count('transactionBegin');
    return next(call);
  }

  async transactionAbort(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void> {
    await next(call);
    this.count('transactionAbort');
  }

  async transactionCommit(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void> {
    await next(call);
    this.count('transactionCommit');
  }
}
