/**
 * The service runtime: runs one service on a transport through the states of services.md
 * (NEW → STARTING → IDLE ⇄ PROCESSING / TIMER → SHUTDOWN → END, or ERROR), one message at a time
 * across all its subscriptions unless told otherwise, with status broadcasts, shutdown on signals and
 * on shutdown commands, and Prometheus metrics.
 */
import type { Registry } from 'prom-client';
import { ConnectionError, InvalidArgumentError } from '../errors';
import { uniqueHostId } from '../host-id';
import type { Logger } from '../logger';
import { getDefaultLogger } from '../logger';
import type {
  BroadcastOptions,
  MessageBody,
  MessageCallback,
  ReceivedHeaders,
  SendOptions,
  ServiceStateValue,
  StatusMessage,
  SubscribeOptions,
  SubscriptionId,
  Transport,
  TransportEvent,
  TransportMiddleware,
} from '../transport';
import { ServiceState } from '../transport';
import type { Clock, ClockTimer } from './clock';
import { sleep, systemClock } from './clock';
import type { HandlerSubscription, RedeliveryBackoff } from './message-processing';
import { processMessage } from './message-processing';
import type { MetricsServer } from './metrics-server';
import {
  DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE,
  DEFAULT_MAX_OUTPUTS_PER_MESSAGE,
  checkLimit,
} from './output-budget';
import { startMetricsServer } from './metrics-server';
import type { LivenessServer, LivenessServerOptions } from './liveness-server';
import { startLivenessServer } from './liveness-server';
import { ProcessingGate } from './processing-gate';
import type { ServiceDefinition } from './service';
import type {
  MessageHandler,
  ServiceBroadcastSubscribeOptions,
  ServiceContext,
  ServiceSubscribeOptions,
  TimerCallback,
} from './service-context';
import { ServiceMetrics } from './service-metrics';
import { PrometheusMiddleware, TransportMetrics } from './transport-metrics';
import { COMMAND_TOPIC, readCommand } from './shutdown-command';
import type { BackoffOptions } from './restart';
import { backoffDelay } from './restart';
import { installSignalHandlers, SHUTDOWN_SIGNALS } from './signal-handlers';
import { StatusReporter } from './status-reporter';

export interface ServiceRuntimeOptions {
  /** The transport to run on. The runtime connects it on start and disconnects it at the end. */
  readonly transport: Transport;
  /** Default: the process-wide logger. The runtime binds `service` and `host` to it. */
  readonly logger?: Logger;
  /** Default: {@link uniqueHostId}(). */
  readonly hostId?: string;
  /** Messages (and timer callbacks) handled at once across all subscriptions. Default 1. */
  readonly concurrency?: number;
  /** Seconds between status broadcasts when nothing changes. Default 6. */
  readonly statusInterval?: number;
  /** Seconds IDLE must last before it is broadcast. Default 0.5, as in python-workflows. */
  readonly idleDelay?: number;
  /** Broadcast topic to listen on for shutdown commands, or `false` for none. Default `command`. */
  readonly commandTopic?: string | false;
  /**
   * Shut down gracefully on these process signals (`true`: SIGTERM and SIGINT) while running; a
   * second signal stops waiting for the message in hand. Default: none, for embedding and tests.
   */
  readonly signals?: boolean | readonly NodeJS.Signals[];
  /** Serve Prometheus metrics at `http://<metricsHost>:<metricsPort>/metrics` (0: any free port). */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /**
   * Serve a liveness endpoint (`--liveness`): 200 while the event loop turns, 503 once it has been
   * stuck longer than `timeout` seconds; `/readyz` there too. The metrics port (`metricsPort`) also
   * answers `/readyz` (connected and subscribed) and `/healthz`.
   */
  readonly liveness?: LivenessServerOptions;
  /**
   * Fields added to every status broadcast (python-zocalo's extended status: `zocalo`, `tag`,
   * `cluster_JOB_ID`, …). They cannot replace the fixed fields (`host`, `status`, `service`, …).
   */
  readonly statusFields?: Readonly<Record<string, string>>;
  /** Count the metrics in this registry. Default: a new one per runtime. */
  readonly metricsRegistry?: Registry;
  /**
   * Keep Prometheus metrics (`runtime.metrics`). Default: when `metricsPort` or `metricsRegistry` is
   * given. A runtime without metrics never loads prom-client, which an idle process would hold for
   * nothing (about 11 MB).
   */
  readonly metrics?: boolean;
  /**
   * The `source` label of python-workflows' metrics (`workflows_transport_*`). python-workflows
   * writes the service's `<module>:<class>` (`zocalo.service.dispatcher:Dispatcher`); give that to
   * show a TypeScript service in a dashboard panel of the Python one it replaces. Default: the
   * service class (`serviceClass`, else the name).
   */
  readonly metricsSource?: string;
  /**
   * Middleware to add to the transport once the runtime has subscribed to its command topic (so that,
   * as in python-workflows, commands pass it by), before the metrics middleware: e.g. the tracing
   * middleware of `@zocalo/tracing`.
   */
  readonly middleware?: readonly TransportMiddleware[];
  /**
   * How long a message whose handler failed is held (still in hand) before it is released for
   * redelivery, so that a message that keeps failing does not spin (an error no retry can cure,
   * {@link isPermanentError}, is not retried: its message is dead-lettered at once): `initialDelay` (0.1 s) after the
   * first failure in a row on a subscription, doubling up to `maxDelay` (5 s); a message that succeeds
   * or is rejected on that subscription starts it over. A shutdown cuts the wait short. `false`:
   * release at once.
   */
  readonly redeliveryBackoff?: BackoffOptions | false;
  /**
   * Most messages the handling of one message may send (`msg.send`, `msg.broadcast`, `msg.transport`,
   * recipe wrappers on them). The send that would pass it is refused before it is sent (before its
   * body is even encoded), with an OutputLimitError: the transaction is aborted (without one, the
   * sends before it have gone out) and the message dead-lettered. Default
   * {@link DEFAULT_MAX_OUTPUTS_PER_MESSAGE} (10,000); `Infinity` for none.
   */
  readonly maxOutputsPerMessage?: number;
  /**
   * Most bytes (encoded bodies, in all) the handling of one message may send, enforced as
   * `maxOutputsPerMessage`. Default {@link DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE} (256 MiB): a
   * 10,000-way fan-out of a 0.6 MB recipe (6.5 GB, each output carries the whole recipe) is refused
   * instead of exhausting the heap. Per message: with `concurrency` n, up to n times as much at once.
   */
  readonly maxOutputBytesPerMessage?: number;
  readonly clock?: Clock;
}

/** A subscription made through the service context. */
interface ServiceSubscription extends HandlerSubscription {
  readonly kind: 'queue' | 'topic';
  readonly options: SubscribeOptions;
  id: SubscriptionId;
  /** Failed messages in a row on this subscription: the redelivery back-off grows with it. */
  failuresInARow: number;
  readonly backoff: RedeliveryBackoff | undefined;
}

interface TimerEntry {
  handle: ClockTimer | undefined;
  cancelled: boolean;
}

type Ending = { readonly kind: 'stop' } | { readonly kind: 'fail'; readonly error: unknown };

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'ended';

/**
 * Runs a service. `run()` resolves when the service has shut down cleanly (END) and rejects when it
 * failed (ERROR): at start, on losing the transport, or in `inShutdown()`.
 */
export class ServiceRuntime {
  readonly hostId: string;
  private metricsKept: ServiceMetrics | undefined;
  private readonly keepMetrics: boolean;
  readonly transport: Transport;
  private prometheus: PrometheusMiddleware | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly status: StatusReporter;
  private readonly gate: ProcessingGate;
  private readonly context: ServiceContext;
  private readonly subscriptions = new Set<ServiceSubscription>();
  private readonly timers = new Set<TimerEntry>();
  private commandSubscription: SubscriptionId | undefined;
  private phase: Phase = 'new';
  private messagesInHand = 0;
  private timersRunning = 0;
  private running: Promise<void> | undefined;
  private ending: Ending | undefined;
  private endingListener: ((ending: Ending) => void) | undefined;
  private forceListener: (() => void) | undefined;
  private forced = false;
  private metricsServer: MetricsServer | undefined;
  private livenessServer: LivenessServer | undefined;
  private removeSignalHandlers: (() => void) | undefined;
  private removeTransportListener: (() => void) | undefined;
  private disconnecting = false;
  /** Aborted when the service stops taking work: cuts redelivery back-off waits short. */
  private readonly stopping = new AbortController();
  private readonly redeliveryBackoff: BackoffOptions | false;
  private readonly maxOutputs: number;
  private readonly maxOutputBytes: number;

  constructor(
    readonly service: ServiceDefinition,
    private readonly options: ServiceRuntimeOptions,
  ) {
    if (typeof service?.name !== 'string' || service.name.length === 0) {
      throw new InvalidArgumentError('a service needs a name (a non-empty string)');
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError(`concurrency must be a whole number >= 1, got ${String(concurrency)}`);
    }
    this.concurrency = concurrency;
    this.redeliveryBackoff = checkBackoff(options.redeliveryBackoff);
    this.maxOutputs = checkLimit(
      'maxOutputsPerMessage',
      options.maxOutputsPerMessage,
      DEFAULT_MAX_OUTPUTS_PER_MESSAGE,
    );
    this.maxOutputBytes = checkLimit(
      'maxOutputBytesPerMessage',
      options.maxOutputBytesPerMessage,
      DEFAULT_MAX_OUTPUT_BYTES_PER_MESSAGE,
    );
    this.transport = options.transport;
    this.hostId = options.hostId ?? uniqueHostId();
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? getDefaultLogger()).child({ service: service.name, host: this.hostId });
    if (options.metrics === false && options.metricsPort !== undefined) {
      throw new InvalidArgumentError(
        'metricsPort serves the metrics that metrics: false turns off; drop one',
      );
    }
    this.keepMetrics =
      options.metrics ?? (options.metricsPort !== undefined || options.metricsRegistry !== undefined);
    this.gate = new ProcessingGate(concurrency, true);
    this.status = new StatusReporter(
      this.transport,
      { host: this.hostId, service: service.name, serviceclass: this.serviceClass },
      ServiceState.NEW,
      {
        interval: options.statusInterval ?? 6,
        idleDelay: options.idleDelay ?? 0.5,
        fields: options.statusFields,
      },
      this.clock,
      this.logger,
    );
    this.context = this.makeContext();
  }

  /** `serviceclass` of status broadcasts; a shutdown command may address it (or the name). */
  get serviceClass(): string {
    return this.service.serviceClass ?? this.service.name;
  }

  /** The current state (see {@link ServiceState}). */
  get state(): ServiceStateValue {
    return this.status.state;
  }

  /**
   * The runtime's metrics once it has started, when it keeps them (see
   * {@link ServiceRuntimeOptions.metrics}); `undefined` before `run()` and without metrics.
   */
  get metrics(): ServiceMetrics | undefined {
    return this.metricsKept;
  }

  /** The port the metrics endpoint listens on, once running with `metricsPort`. */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /** The port the liveness endpoint listens on, once running with `liveness`. */
  get livenessPort(): number | undefined {
    return this.livenessServer?.port;
  }

  /** Connected to the broker, subscribed and taking work: what `/readyz` answers. */
  get ready(): boolean {
    return this.phase === 'running' && this.ending === undefined && this.transport.isConnected();
  }

  /** The status broadcast as it would be sent now. */
  statusMessage(): StatusMessage {
    return this.status.statusMessage();
  }

  /** Start the service and run it until it ends. Calling it again returns the same promise. */
  run(): Promise<void> {
    this.running ??= this.execute();
    return this.running;
  }

  /**
   * Shut down gracefully: take no more messages, finish those in hand, unsubscribe, run
   * `inShutdown()`, disconnect. `run()` then resolves.
   */
  stop(reason = 'stop requested'): void {
    if (this.ending !== undefined || this.phase === 'ended') return;
    this.logger.info({ reason }, `shutting down: ${reason}`);
    this.end({ kind: 'stop' });
  }

  /** What the installed signal handlers call: a graceful stop, and on a second signal, a forced one. */
  handleSignal(signal: NodeJS.Signals): void {
    if (this.ending === undefined) {
      this.stop(`received ${signal}`);
      return;
    }
    if (this.forced) return;
    this.forced = true;
    this.logger.warn(
      { signal },
      `received ${signal} again: not waiting for the message in hand, which will be redelivered`,
    );
    this.forceListener?.();
  }

  /** Handle SIGTERM and SIGINT (or `signals`) with {@link handleSignal}; returns the remover. */
  installSignalHandlers(signals: readonly NodeJS.Signals[] = SHUTDOWN_SIGNALS): () => void {
    return installSignalHandlers((signal) => this.handleSignal(signal), signals);
  }

  // ---------------------------------------------------------------- lifecycle

  private async execute(): Promise<void> {
    const signals = this.options.signals;
    if (signals) {
      this.removeSignalHandlers = this.installSignalHandlers(signals === true ? SHUTDOWN_SIGNALS : signals);
    }
    const ending = new Promise<Ending>((resolve) => {
      if (this.ending !== undefined) resolve(this.ending);
      else this.endingListener = resolve;
    });
    try {
      await this.start();
    } catch (error) {
      this.logger.error({ err: error }, 'service failed to start');
      await this.fail();
      throw error;
    }
    const outcome = await ending;
    if (outcome.kind === 'fail') {
      this.logger.error({ err: outcome.error }, 'service failed');
      await this.fail();
      throw outcome.error;
    }
    await this.shutDown();
  }

  private end(ending: Ending): void {
    if (this.ending !== undefined) return;
    this.ending = ending;
    this.endingListener?.(ending);
  }

  private async start(): Promise<void> {
    this.phase = 'starting';
    if (this.keepMetrics) {
      this.metricsKept = await ServiceMetrics.create(this.service.name, this.options.metricsRegistry);
      this.prometheus = new PrometheusMiddleware(
        await TransportMetrics.create(this.metricsKept.registry),
        this.options.metricsSource ?? this.serviceClass,
      );
    }
    if (this.options.metricsPort !== undefined && this.metricsKept !== undefined) {
      this.metricsServer = await startMetricsServer(
        this.metricsKept.registry,
        this.options.metricsPort,
        this.options.metricsHost,
        { ready: () => this.ready, healthy: () => this.phase !== 'ended' },
      );
      this.logger.info({ port: this.metricsServer.port }, 'serving metrics at /metrics');
    }
    if (this.options.liveness !== undefined) {
      this.livenessServer = await startLivenessServer(this.options.liveness);
      this.logger.info({ port: this.livenessServer.port }, 'serving liveness');
    }
    this.status.setState(ServiceState.STARTING);
    await this.transport.connect();
    this.removeTransportListener = this.transport.onEvent((event) => this.onTransportEvent(event));
    this.status.start();
    const commandTopic = this.options.commandTopic ?? COMMAND_TOPIC;
    if (commandTopic !== false) {
      // Before the metrics middleware: python-workflows' frontend listens for commands, uncounted.
      this.commandSubscription = await this.transport.subscribeBroadcast(commandTopic, (_header, message) =>
        this.onCommand(message),
      );
      this.prometheus?.ignore(this.commandSubscription);
    }
    for (const middleware of this.options.middleware ?? []) this.transport.use(middleware);
    if (this.prometheus) this.transport.use(this.prometheus);
    await this.service.initializing?.(this.context);
    this.phase = 'running';
    this.logger.info({ serviceclass: this.serviceClass }, 'service started');
    this.refreshState();
    // A stop asked for while starting: take no message at all.
    if (this.ending === undefined) this.gate.resume();
    this.livenessServer?.setReady(this.ready);
  }

  /** The graceful end: finish the work in hand, unsubscribe, inShutdown(), END, disconnect. */
  private async shutDown(): Promise<void> {
    this.stopTakingWork();
    this.refreshState();
    await new Promise<void>((resolve) => {
      this.forceListener = resolve;
      if (this.forced) resolve();
      void this.gate.idle().then(resolve);
    });
    this.status.setState(ServiceState.SHUTDOWN);
    await this.unsubscribeAll();
    let failure: { error: unknown } | undefined;
    try {
      await this.service.inShutdown?.(this.context);
    } catch (error) {
      this.logger.error({ err: error }, 'inShutdown() failed');
      failure = { error };
    }
    this.phase = 'ended';
    this.status.setState(failure ? ServiceState.ERROR : ServiceState.END);
    await this.release();
    this.logger.info({}, failure ? 'service ended with an error' : 'service ended');
    if (failure) throw failure.error;
  }

  /** The end after a failure: ERROR, then best-effort unsubscribe, inShutdown() and disconnect. */
  private async fail(): Promise<void> {
    this.stopTakingWork();
    this.phase = 'ended';
    this.status.setState(ServiceState.ERROR);
    if (this.transport.isConnected()) await this.unsubscribeAll();
    try {
      await this.service.inShutdown?.(this.context);
    } catch (error) {
      this.logger.error({ err: error }, 'inShutdown() failed');
    }
    await this.release();
  }

  private stopTakingWork(): void {
    if (this.phase !== 'ended') this.phase = 'stopping';
    this.livenessServer?.setReady(false);
    this.gate.close();
    this.stopping.abort();
    for (const timer of this.timers) this.cancelTimer(timer);
  }

  private async unsubscribeAll(): Promise<void> {
    const ids: Array<[Transport, SubscriptionId]> = [...this.subscriptions].map((subscription) => [
      this.transport,
      subscription.id,
    ]);
    if (this.commandSubscription !== undefined) ids.push([this.transport, this.commandSubscription]);
    this.subscriptions.clear();
    this.commandSubscription = undefined;
    for (const [transport, id] of ids) {
      try {
        await transport.unsubscribe(id);
      } catch (error) {
        this.logger.warn({ err: error, subscription: id }, 'could not unsubscribe');
      }
    }
  }

  /** Send the last status, stop the metrics endpoint and signal handlers, disconnect. */
  private async release(): Promise<void> {
    await this.status.stop();
    this.removeSignalHandlers?.();
    this.removeSignalHandlers = undefined;
    this.removeTransportListener?.();
    this.removeTransportListener = undefined;
    await this.metricsServer?.close();
    await this.livenessServer?.close();
    this.disconnecting = true;
    try {
      await this.transport.disconnect();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not disconnect the transport cleanly');
    }
  }

  private onTransportEvent(event: TransportEvent): void {
    this.livenessServer?.setReady(this.ready);
    if (event.type !== 'disconnected' || this.disconnecting || this.phase === 'ended') return;
    this.end({
      kind: 'fail',
      error: new ConnectionError(`${this.transport.name} transport: lost the connection to the broker`, {
        cause: event.error,
      }),
    });
  }

  private onCommand(message: MessageBody): void {
    const verdict = readCommand(message, {
      host: this.hostId,
      serviceNames: [this.serviceClass, this.service.name],
    });
    switch (verdict.kind) {
      case 'shutdown':
        this.logger.info({ command: message }, "received command 'shutdown' via transport layer");
        this.stop('shutdown command');
        return;
      case 'unknown':
        this.logger.warn({ command: verdict.command }, 'received an unknown command; ignoring it');
        return;
      case 'invalid':
        this.logger.warn({ message }, 'received an invalid transport command message');
        return;
      case 'ignore':
        return;
    }
  }

  /** The state that the work in hand calls for. END and ERROR are set directly. */
  private refreshState(): void {
    if (this.phase !== 'running' && this.phase !== 'stopping') return;
    this.status.setState(
      this.messagesInHand > 0
        ? ServiceState.PROCESSING
        : this.timersRunning > 0
          ? ServiceState.TIMER
          : this.phase === 'stopping'
            ? ServiceState.SHUTDOWN
            : ServiceState.IDLE,
    );
  }

  // ---------------------------------------------------------------- subscriptions

  private async subscribe(
    kind: 'queue' | 'topic',
    destination: string,
    handler: MessageHandler,
    options: ServiceSubscribeOptions & ServiceBroadcastSubscribeOptions,
  ): Promise<SubscriptionId> {
    if (this.phase !== 'starting' && this.phase !== 'running') {
      throw new InvalidArgumentError(`cannot subscribe to ${destination}: the service is shutting down`);
    }
    if (typeof handler !== 'function') throw new InvalidArgumentError('subscribe needs a handler function');
    const { transaction = true, ...transportOptions } = options;
    const acknowledgement = transportOptions.acknowledgement ?? kind === 'queue';
    let subscribeOptions: SubscribeOptions = { ...transportOptions, acknowledgement };
    // As many messages in flight as the service handles at once, unless it chose a prefetch. Never the
    // transport's or broker's default (ActiveMQ's is 1000): every message prefetched but not yet handed
    // over goes back when a message is released or the process dies, and its delivery count rises
    // towards Schlockmeister's poison limit although the service never looked at it.
    if (acknowledgement && subscribeOptions.prefetch === undefined && this.transport.capabilities.prefetch) {
      subscribeOptions = { ...subscribeOptions, prefetch: this.concurrency };
    }
    const subscription: ServiceSubscription = {
      kind,
      destination,
      handler,
      acknowledgement,
      transaction,
      options: subscribeOptions,
      id: 0,
      failuresInARow: 0,
      backoff: this.makeBackoff(() => ++subscription.failuresInARow),
      reopen: async () => {
        await this.transport.unsubscribe(subscription.id);
        subscription.id = await this.openSubscription(subscription, callback);
      },
    };
    const callback: MessageCallback = (header, message) => this.onMessage(subscription, header, message);
    try {
      subscription.id = await this.openSubscription(subscription, callback);
    } catch (error) {
      // Stopped while the subscription was being made (a SIGTERM just after start): the transport is
      // closing under it. Not the service's failure, and a subscribe the service did not await must
      // not end the process as an unhandled rejection: no subscription (0), said at debug.
      if (this.ending === undefined) throw error;
      this.logger.debug(
        { err: error, destination },
        `subscription to ${destination} cut short by the shutdown`,
      );
      return 0;
    }
    this.subscriptions.add(subscription);
    return subscription.id;
  }

  private openSubscription(
    subscription: ServiceSubscription,
    callback: MessageCallback,
  ): Promise<SubscriptionId> {
    return subscription.kind === 'queue'
      ? this.transport.subscribe(subscription.destination, callback, subscription.options)
      : this.transport.subscribeBroadcast(subscription.destination, callback, subscription.options);
  }

  /**
   * The transport's callback. With concurrency 1 it returns the work's promise, so the transport
   * holds that subscription's next message; with more, the gate alone bounds the work in hand.
   */
  private onMessage(
    subscription: ServiceSubscription,
    header: ReceivedHeaders,
    message: MessageBody,
  ): Promise<void> | void {
    const work = this.handle(subscription, header, message);
    if (this.concurrency === 1) return work;
  }

  private async handle(
    subscription: ServiceSubscription,
    header: ReceivedHeaders,
    message: MessageBody,
  ): Promise<void> {
    // Turned away while shutting down: left unsettled, the message goes back when we unsubscribe.
    if (!(await this.gate.acquire())) return;
    this.messagesInHand++;
    this.refreshState();
    try {
      const outcome = await processMessage(
        {
          transport: this.transport,
          logger: this.logger,
          metrics: this.metrics,
          backoff: subscription.backoff,
          maxOutputs: this.maxOutputs,
          maxOutputBytes: this.maxOutputBytes,
        },
        subscription,
        header,
        message,
      );
      if (outcome !== 'failed') subscription.failuresInARow = 0;
    } finally {
      this.messagesInHand--;
      this.gate.release();
      this.refreshState();
    }
  }

  /** The redelivery back-off of one subscription; `countFailure` returns the failures in a row. */
  private makeBackoff(countFailure: () => number): RedeliveryBackoff | undefined {
    const options = this.redeliveryBackoff;
    if (options === false) return undefined;
    return {
      next: () => backoffDelay(countFailure(), options),
      wait: async (seconds) => {
        await sleep(this.clock, seconds * 1000, this.stopping.signal);
      },
    };
  }

  // ---------------------------------------------------------------- timers

  private timer(seconds: number, callback: TimerCallback): () => void {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new InvalidArgumentError(
        `timer interval must be a number of seconds > 0, got ${String(seconds)}`,
      );
    }
    const entry: TimerEntry = { handle: undefined, cancelled: false };
    const schedule = (): void => {
      if (entry.cancelled || this.gate.isClosed) return;
      entry.handle = this.clock.setTimeout(() => void fire(), seconds * 1000);
    };
    const fire = async (): Promise<void> => {
      entry.handle = undefined;
      if (!(await this.gate.acquire())) return;
      this.timersRunning++;
      this.refreshState();
      try {
        await callback(this.context);
      } catch (error) {
        this.logger.error({ err: error }, 'timer callback failed');
      } finally {
        this.timersRunning--;
        this.gate.release();
        this.refreshState();
        schedule();
      }
    };
    this.timers.add(entry);
    schedule();
    return () => this.cancelTimer(entry);
  }

  private cancelTimer(entry: TimerEntry): void {
    entry.cancelled = true;
    if (entry.handle !== undefined) this.clock.clearTimeout(entry.handle);
    entry.handle = undefined;
    this.timers.delete(entry);
  }

  // ---------------------------------------------------------------- context

  private makeContext(): ServiceContext {
    const transport = this.transport;
    return {
      transport,
      logger: this.logger,
      hostId: this.hostId,
      serviceName: this.service.name,
      subscribe: (queue, handler, options = {}) =>
        this.subscribe('queue', queue, handler as MessageHandler, options),
      subscribeBroadcast: (topic, handler, options = {}) =>
        this.subscribe('topic', topic, handler as MessageHandler, options),
      timer: (seconds, callback) => this.timer(seconds, callback),
      send: async (queue: string, message: unknown, options?: SendOptions) => {
        await transport.send(queue, message, options);
        this.metricsKept?.sent();
      },
      broadcast: async (topic: string, message: unknown, options?: BroadcastOptions) => {
        await transport.broadcast(topic, message, options);
        this.metricsKept?.sent();
      },
      shutdown: (reason = 'the service asked to shut down') => this.stop(reason),
    };
  }
}

function checkBackoff(options: BackoffOptions | false | undefined): BackoffOptions | false {
  if (options === false || options === undefined) return options ?? {};
  for (const key of ['initialDelay', 'maxDelay'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new InvalidArgumentError(
        `redeliveryBackoff.${key} must be a number of seconds >= 0, got ${String(value)}; use redeliveryBackoff: false for none`,
      );
    }
  }
  return options;
}

/** Run a service until it ends: `new ServiceRuntime(service, options).run()`. */
export function runService(service: ServiceDefinition, options: ServiceRuntimeOptions): Promise<void> {
  return new ServiceRuntime(service, options).run();
}
