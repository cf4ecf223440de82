/**
 * Status broadcasts to `transient.status` (wire-format.md, "Status broadcasts"), timed as
 * python-workflows' frontend times them: at once on a change of state, and again every `interval`
 * seconds (6) when nothing changes. A change to IDLE is announced only once IDLE has lasted
 * `idleDelay` seconds (0.5), so that a busy service does not broadcast twice per message.
 */
import type { Logger } from '../logger';
import type { ServiceStateValue, StatusMessage, Transport } from '../transport';
import { ServiceState } from '../transport';
import type { Clock, ClockTimer } from './clock';
import { stateText } from './service-state';
import { UtilizationStatistics } from './utilization';
import { WORKFLOWS_VERSION } from './version';

export interface StatusReporterOptions {
  /** Seconds between broadcasts when the state does not change; also the utilization period. */
  readonly interval: number;
  /** Seconds IDLE must last before it is announced; 0 announces it at once. */
  readonly idleDelay: number;
  /** Extra fields of every broadcast, after the fixed ones (which they cannot replace). */
  readonly fields?: Readonly<Record<string, string>>;
}

/** The fixed fields of a service's status. Nothing else (no configuration, no secret) is sent. */
export interface StatusIdentity {
  readonly host: string;
  readonly service: string;
  readonly serviceclass: string;
}

export class StatusReporter {
  private current: ServiceStateValue;
  private announced: ServiceStateValue | undefined;
  private running = false;
  private periodicTimer: ClockTimer | undefined;
  private idleTimer: ClockTimer | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly utilization: UtilizationStatistics;

  constructor(
    private readonly transport: Transport,
    private readonly identity: StatusIdentity,
    initial: ServiceStateValue,
    private readonly options: StatusReporterOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.current = initial;
    this.utilization = new UtilizationStatistics(options.interval, clock, initial);
  }

  get state(): ServiceStateValue {
    return this.current;
  }

  /** Start broadcasting: the current state now, then on every change and every interval. */
  start(): void {
    this.running = true;
    this.announce();
  }

  /** Record a change of state (and broadcast it when running). */
  setState(state: ServiceStateValue): void {
    if (state === this.current) return;
    this.current = state;
    this.utilization.update(state);
    if (!this.running) return;
    if (state === ServiceState.IDLE && this.options.idleDelay > 0) {
      if (this.idleTimer === undefined && this.announced !== ServiceState.IDLE) {
        this.idleTimer = this.clock.setTimeout(() => {
          this.idleTimer = undefined;
          if (this.current === ServiceState.IDLE && this.announced !== ServiceState.IDLE) this.announce();
        }, this.options.idleDelay * 1000);
      }
      return;
    }
    this.clearIdleTimer();
    if (state !== this.announced) this.announce();
  }

  /** The status message for the state last announced. */
  statusMessage(): StatusMessage {
    const status = this.announced ?? this.current;
    const message: Record<string, unknown> = {
      host: this.identity.host,
      workflows: WORKFLOWS_VERSION,
      status,
      statustext: stateText(status),
      service: this.identity.service,
      serviceclass: this.identity.serviceclass,
      utilization: this.utilization.report(),
    };
    for (const [field, value] of Object.entries(this.options.fields ?? {})) {
      if (!(field in message)) message[field] = value;
    }
    return message as unknown as StatusMessage;
  }

  /** Stop broadcasting; resolves once every broadcast already begun has been sent (or failed). */
  stop(): Promise<void> {
    this.running = false;
    this.clearIdleTimer();
    if (this.periodicTimer !== undefined) this.clock.clearTimeout(this.periodicTimer);
    this.periodicTimer = undefined;
    return this.sending;
  }

  private announce(): void {
    // While a new IDLE is not yet announced, the interval repeats the state announced before.
    this.announced =
      this.idleTimer !== undefined && this.announced !== undefined ? this.announced : this.current;
    if (this.periodicTimer !== undefined) this.clock.clearTimeout(this.periodicTimer);
    this.periodicTimer = this.clock.setTimeout(() => {
      this.periodicTimer = undefined;
      if (this.running) this.announce();
    }, this.options.interval * 1000);
    const message = this.statusMessage();
    const transport = this.transport;
    this.sending = this.sending
      .then(() => (transport.isConnected() ? transport.broadcastStatus(message) : undefined))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, status: message.status }, 'could not broadcast the service status'),
      );
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
