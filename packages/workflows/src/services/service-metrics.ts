/**
 * Prometheus metrics of one service runtime, in a registry of its own (never prom-client's global
 * one, so that several runtimes, and tests, do not share counters). Every metric is labelled with
 * the service name.
 */
import type * as PromClient from 'prom-client';
import type { Counter, Histogram, Registry } from 'prom-client';

/** Why a message counts as failed. */
export type FailureOutcome = 'error' | 'rejected';

export class ServiceMetrics {
  readonly registry: Registry;
  /** `zocalo_messages_in_total{service}`: messages handed to a handler. */
  readonly messagesIn: Counter<'service'>;
  /** `zocalo_messages_out_total{service}`: messages sent and broadcast by handlers (on commit). */
  readonly messagesOut: Counter<'service'>;
  /** `zocalo_messages_failed_total{service,outcome}`: handler errors (`error`) and rejections (`rejected`). */
  readonly messagesFailed: Counter<'service' | 'outcome'>;
  /** `zocalo_processing_seconds{service}`: time from a message's arrival in the handler to its commit. */
  readonly processingSeconds: Histogram<'service'>;

  /**
   * The metrics of `service`, in `registry` (default: a new one). prom-client, with the
   * @opentelemetry/api it loads, holds about 11 MB resident, so it is loaded here, by the first
   * process that asks for metrics, and never by one that does not.
   */
  static async create(service: string, registry?: Registry): Promise<ServiceMetrics> {
    return new ServiceMetrics(service, await import('prom-client'), registry);
  }

  private constructor(
    readonly service: string,
    { Counter, Histogram, Registry }: typeof PromClient,
    registry?: Registry,
  ) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.messagesIn = new Counter({
      name: 'zocalo_messages_in_total',
      help: 'Messages handed to a service handler',
      labelNames: ['service'],
      registers,
    });
    this.messagesOut = new Counter({
      name: 'zocalo_messages_out_total',
      help: 'Messages sent or broadcast by service handlers, counted when they take effect',
      labelNames: ['service'],
      registers,
    });
    this.messagesFailed = new Counter({
      name: 'zocalo_messages_failed_total',
      help: 'Messages whose handler threw (outcome="error"), or rejected them or threw an error no retry can cure (outcome="rejected": dead-lettered)',
      labelNames: ['service', 'outcome'],
      registers,
    });
    this.processingSeconds = new Histogram({
      name: 'zocalo_processing_seconds',
      help: 'Time spent handling one message, transaction commit included',
      labelNames: ['service'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
      registers,
    });
  }

  received(): void {
    this.messagesIn.inc({ service: this.service });
  }

  sent(count = 1): void {
    if (count > 0) this.messagesOut.inc({ service: this.service }, count);
  }

  failed(outcome: FailureOutcome): void {
    this.messagesFailed.inc({ service: this.service, outcome });
  }

  processed(seconds: number): void {
    this.processingSeconds.observe({ service: this.service }, seconds);
  }
}
