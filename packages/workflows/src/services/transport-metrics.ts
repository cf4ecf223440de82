/**
 * python-workflows' Prometheus metrics (`workflows.transport.middleware.prometheus`), with its names,
 * types, help texts, labels and buckets, so that a Grafana dashboard made for Python services shows
 * ours unchanged. Every metric has one label, `source`: the service (python-workflows writes
 * `<module>:<class>`; see {@link ServiceRuntimeOptions.metricsSource}).
 *
 * {@link PrometheusMiddleware} counts them in middleware hooks, as python-workflows' middleware does.
 * The service runtime adds it after its own command subscription, which python-workflows' frontend
 * makes on a transport of its own, uncounted.
 */
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { STATUS_TOPIC } from '../common-transport';
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

/** prometheus_client's default histogram buckets, which python-workflows keeps. */
export const PYTHON_DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

type SourceCounter = Counter<'source'>;
type SourceGauge = Gauge<'source'>;

/** The metrics, in one registry; python-workflows' variable names in comments. */
export class TransportMetrics {
  /** SUBSCRIPTIONS */
  readonly subscriptions: SourceCounter;
  /** BROADCAST_SUBSCRIPTIONS */
  readonly broadcastSubscriptions: SourceCounter;
  /** TEMPORARY_SUBSCRIPTIONS */
  readonly temporarySubscriptions: SourceCounter;
  /** ACTIVE_SUBSCRIPTIONS */
  readonly activeSubscriptions: SourceGauge;
  /** CALLBACK_PROCESSING_TIME */
  readonly callbackProcessingTime: Histogram<'source'>;
  /** ACKS */
  readonly acks: SourceCounter;
  /** NACKS */
  readonly nacks: SourceCounter;
  /** SENDS */
  readonly sends: SourceCounter;
  /** BROADCASTS */
  readonly broadcasts: SourceCounter;
  /** TRANSACTION_BEGIN */
  readonly transactionBegin: SourceCounter;
  /** TRANSACTION_ABORT */
  readonly transactionAbort: SourceCounter;
  /** TRANSACTION_COMMIT */
  readonly transactionCommit: SourceCounter;
  /** TRANSACTIONS_IN_PROGRESS */
  readonly transactionsInProgress: SourceGauge;

  /** The metrics in `registry`; prom-client is loaded only here, by a process that keeps metrics. */
  static async create(registry: Registry): Promise<TransportMetrics> {
    return new TransportMetrics(await import('prom-client'), registry);
  }

  private constructor({ Counter, Gauge, Histogram }: typeof PromClient, registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string): SourceCounter =>
      new Counter({ name, help, labelNames: ['source'], registers });
    const gauge = (name: string, help: string): SourceGauge =>
      new Gauge({ name, help, labelNames: ['source'], registers });
    this.subscriptions = counter(
      'workflows_transport_subscriptions_total',
      'The total number of transport subscriptions',
    );
    this.broadcastSubscriptions = counter(
      'workflows_transport_broadcast_subscriptions_total',
      'The total number of transport broadcast subscriptions',
    );
    this.temporarySubscriptions = counter(
      'workflows_transport_temporary_subscriptions_total',
      'The total number of transport temporary subscriptions',
    );
    this.activeSubscriptions = gauge(
      'workflows_transport_active_subscriptions',
      'The total number of transport subscriptions',
    );
    this.callbackProcessingTime = new Histogram({
      name: 'workflows_callback_processing_time_seconds',
      help: 'Histogram of callback processing time (in seconds)',
      labelNames: ['source'],
      buckets: [...PYTHON_DEFAULT_BUCKETS],
      registers,
    });
    this.acks = counter('workflows_transport_ack_total', 'Total count of transport acknowledgements.');
    this.nacks = counter(
      'workflows_transport_nack_total',
      'Total count of transport negative acknowledgements.',
    );
    this.sends = counter('workflows_transport_send_total', 'Total number of messages sent');
    this.broadcasts = counter('workflows_transport_broadcast_total', 'Total number of messages broadcast');
    this.transactionBegin = counter(
      'workflows_transport_transaction_begin_total',
      'Total number of transactions begun',
    );
    this.transactionAbort = counter(
      'workflows_transport_transaction_abort_total',
      'Total number of transactions aborted',
    );
    this.transactionCommit = counter(
      'workflows_transport_transaction_commit_total',
      'Total number of transactions committed',
    );
    this.transactionsInProgress = gauge(
      'workflows_transport_transactions_in_progress',
      'Total number of transactions currently in progress',
    );
  }
}

/** python-workflows' `PrometheusMiddleware(source)`. Counted before each call, as Python counts. */
export class PrometheusMiddleware implements TransportMiddleware {
  readonly name = 'prometheus';
  /** Deliveries of these subscriptions are not timed (the runtime's own command subscription). */
  private readonly ignored = new Set<SubscriptionId>();

  constructor(
    readonly metrics: TransportMetrics,
    readonly source: string,
  ) {}

  /** Counted before the message goes, as python-workflows counts (an aborted transaction's too). */
  send(outgoing: OutgoingMessage, next: MiddlewareNext<OutgoingMessage>): Promise<void> {
    // python-workflows counts send(), not raw_send(); its status broadcasts go through the frontend's
    // own transport, which is not instrumented. It never counts broadcasts; we count broadcast().
    if (!outgoing.raw) {
      if (outgoing.kind === 'queue') this.metrics.sends.inc({ source: this.source });
      else if (outgoing.destination !== STATUS_TOPIC) this.metrics.broadcasts.inc({ source: this.source });
    }
    return next(outgoing);
  }

  /** The callback's time. A failed callback is not observed, as in python-workflows. */
  async receive(incoming: IncomingMessage, next: MiddlewareNext<IncomingMessage>): Promise<void> {
    if (this.ignored.has(incoming.header.subscription)) return next(incoming);
    const started = performance.now();
    await next(incoming);
    this.metrics.callbackProcessingTime.observe(
      { source: this.source },
      (performance.now() - started) / 1000,
    );
  }

  /** Leave a subscription's deliveries untimed. */
  ignore(subscription: SubscriptionId): void {
    this.ignored.add(subscription);
  }

  subscribe(
    call: SubscribeCall,
    next: MiddlewareNext<SubscribeCall, SubscriptionId>,
  ): Promise<SubscriptionId> {
    const counter =
      call.kind === 'queue'
        ? this.metrics.subscriptions
        : call.kind === 'topic'
          ? this.metrics.broadcastSubscriptions
          : this.metrics.temporarySubscriptions;
    counter.inc({ source: this.source });
    this.metrics.activeSubscriptions.inc({ source: this.source });
    return next(call);
  }

  unsubscribe(call: UnsubscribeCall, next: MiddlewareNext<UnsubscribeCall>): Promise<void> {
    if (!this.ignored.has(call.subscription)) this.metrics.activeSubscriptions.dec({ source: this.source });
    return next(call);
  }

  ack(call: AckCall, next: MiddlewareNext<AckCall>): Promise<void> {
    this.metrics.acks.inc({ source: this.source });
    return next(call);
  }

  nack(call: NackCall, next: MiddlewareNext<NackCall>): Promise<void> {
    this.metrics.nacks.inc({ source: this.source });
    return next(call);
  }

  transactionBegin(
    call: TransactionBeginCall,
    next: MiddlewareNext<TransactionBeginCall, TransactionId>,
  ): Promise<TransactionId> {
    this.metrics.transactionBegin.inc({ source: this.source });
    this.metrics.transactionsInProgress.inc({ source: this.source });
    return next(call);
  }

  transactionAbort(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void> {
    this.metrics.transactionAbort.inc({ source: this.source });
    this.metrics.transactionsInProgress.dec({ source: this.source });
    return next(call);
  }

  transactionCommit(call: TransactionCall, next: MiddlewareNext<TransactionCall>): Promise<void> {
    this.metrics.transactionCommit.inc({ source: this.source });
    this.metrics.transactionsInProgress.dec({ source: this.source });
    return next(call);
  }
}
