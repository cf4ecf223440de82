/**
 * The status broadcasts of a running wrapper (python-zocalo's `StatusNotifications`): to
 * `transient.status` at once on every change (state, task name, a static field) and every 3 s
 * otherwise, with `host`, `task`, `status`/`statustext`, the library versions (`workflows`,
 * `zocalo`) and the static fields a wrapper adds (`cluster_JOB_ID`, a Slurm job id, ...).
 */
import type { Logger, ServiceStateValue, StatusMessage, Transport } from '@zocalo/workflows';
import { ServiceState, WORKFLOWS_VERSION, stateText, uniqueHostId } from '@zocalo/workflows';
import { ZOCALO_VERSION } from './version';

/** Seconds between status broadcasts of a wrapper when nothing changes (python-zocalo's 3). */
export const WRAPPER_STATUS_INTERVAL = 3;

export interface WrapperStatusOptions {
  /** A connected transport. */
  readonly transport: Transport;
  /** The name shown in status views (python-zocalo: the wrapper's name). */
  readonly task: string;
  readonly logger: Logger;
  /** Seconds between broadcasts. Default {@link WRAPPER_STATUS_INTERVAL}. */
  readonly interval?: number;
  /** The unique host id. Default: this process's. */
  readonly host?: string;
  /** Static fields to send from the start. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Fields a static field may not replace: they are the status itself. */
const OWN_FIELDS = new Set(['host', 'task', 'status', 'statustext', 'workflows']);

export class WrapperStatus {
  private readonly transport: Transport;
  private readonly logger: Logger;
  private readonly interval: number;
  readonly host: string;
  private currentTask: string;
  private state: ServiceStateValue = ServiceState.STARTING;
  private readonly fields: Record<string, unknown>;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private sending: Promise<void> = Promise.resolve();

  constructor(options: WrapperStatusOptions) {
    this.transport = options.transport;
    this.logger = options.logger;
    this.interval = options.interval ?? WRAPPER_STATUS_INTERVAL;
    this.host = options.host ?? uniqueHostId();
    this.currentTask = options.task;
    this.fields = { zocalo: ZOCALO_VERSION };
    for (const [field, value] of Object.entries(options.fields ?? {})) this.setStaticField(field, value);
  }

  /** The name displayed on status views; changing it broadcasts at once. */
  get task(): string {
    return this.currentTask;
  }

  set task(value: string) {
    if (value === this.currentTask) return;
    this.currentTask = value;
    this.changed();
  }

  /** python-zocalo's spelling of {@link task}. */
  get taskname(): string {
    return this.task;
  }

  set taskname(value: string) {
    this.task = value;
  }

  /** The state last set ({@link ServiceState}). */
  get status(): ServiceStateValue {
    return this.state;
  }

  setStatus(state: ServiceStateValue): void {
    if (state === this.state) return;
    this.state = state;
    this.changed();
  }

  /**
   * Add (or change) a field sent in every broadcast from now on (python-zocalo's
   * `set_static_status_field`), e.g. the id of the cluster job doing the work. `undefined` removes it.
   */
  setStaticField(field: string, value: unknown): void {
    if (OWN_FIELDS.has(field))
      throw new TypeError(`"${field}" is a status field of its own, not a static one`);
    if (this.fields[field] === value) return;
    if (value === undefined) delete this.fields[field];
    else this.fields[field] = value;
    this.changed();
  }

  /** The status message as it would be sent now. */
  message(): StatusMessage {
    return {
      ...this.fields,
      host: this.host,
      task: this.currentTask,
      workflows: WORKFLOWS_VERSION,
      status: this.state,
      statustext: stateText(this.state),
    };
  }

  /** Start broadcasting: now, then on every change and every interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.announce();
  }

  /** Stop broadcasting; resolves once the broadcasts already begun have been sent (or failed). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sending;
  }

  private changed(): void {
    if (this.running) this.announce();
  }

  private announce(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.announce(), this.interval * 1000);
    const message = this.message();
    const transport = this.transport;
    this.sending = this.sending
      .then(() => (transport.isConnected() ? transport.broadcastStatus(message) : undefined))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not broadcast the wrapper status'));
  }
}
