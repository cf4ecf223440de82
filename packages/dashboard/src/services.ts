/**
 * The services view: every instance heard on `transient.status` (the tracker `zocalo status` uses,
 * {@link StatusBoard}), with what the page shows of it — tag, cluster job id, version — and a short
 * history of its busy fraction for the sparkline. Instances not heard from for `fadeAfter` seconds are
 * marked gone (the page fades them); after `dropAfter` they are dropped.
 */
import type { StatusEntry } from '@zocalo/workflows';
import { STATUS_AGE_LIMIT, ServiceState, StatusBoard } from '@zocalo/workflows';

/** How many busy fractions a sparkline keeps (a broadcast every 6 s: about 3 minutes). */
export const SPARKLINE_POINTS = 30;

/** One instance as the page gets it: only these fields, all from the broadcast. */
export interface ServiceView {
  readonly key: string;
  readonly host: string;
  readonly service: string;
  readonly status: number;
  readonly statustext: string;
  /** State name → fraction of the last period. */
  readonly utilization: Readonly<Record<string, number>>;
  readonly tag?: string;
  readonly clusterJobId?: string;
  readonly version?: string;
  /** ISO time of the last broadcast. */
  readonly lastSeen: string;
  readonly ageSeconds: number;
  /** Not heard from for longer than a status message lives: shown faded until dropped. */
  readonly gone: boolean;
  /** Busy fraction (processing or timer) of the last broadcasts, oldest first. */
  readonly sparkline: readonly number[];
}

/** The instances of one service, with counts by state. */
export interface ServiceGroup {
  readonly service: string;
  readonly count: number;
  readonly states: Readonly<Record<string, number>>;
  readonly instances: readonly ServiceView[];
}

const STATE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ServiceState).map(([name, value]) => [String(value), name.toLowerCase()]),
);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== ''
    ? value
    : typeof value === 'number'
      ? String(value)
      : undefined;
}

export interface ServiceTrackerOptions {
  /** Seconds after which an instance is shown gone (default 15 s, a status message's life). */
  readonly fadeAfter?: number;
  /** Seconds after which it is dropped (default 60 s). */
  readonly dropAfter?: number;
}

export class ServiceTracker {
  private readonly board: StatusBoard;
  private readonly history = new Map<string, number[]>();
  readonly fadeAfter: number;

  constructor(options: ServiceTrackerOptions = {}) {
    this.fadeAfter = options.fadeAfter ?? STATUS_AGE_LIMIT;
    this.board = new StatusBoard(options.dropAfter ?? 60);
  }

  /** Record a broadcast; false when it is no status message. */
  update(message: unknown, now: number = Date.now()): boolean {
    if (!this.board.update(message, now)) return false;
    const status = message as Record<string, unknown>;
    // As the board names it: `service`, else a wrapper's `task`.
    const name =
      typeof status.service === 'string'
        ? status.service
        : typeof status.task === 'string'
          ? status.task
          : '?';
    const key = `${String(status.host)}\u0000${name}`;
    const entry = this.board.current(now).find((candidate) => keyOf(candidate) === key);
    if (entry) {
      const points = this.history.get(key) ?? [];
      // Busy: handling messages or timers, the time a service is of use (starting is not).
      const busy =
        (entry.utilization[String(ServiceState.PROCESSING)] ?? 0) +
        (entry.utilization[String(ServiceState.TIMER)] ?? 0);
      const total = Object.values(entry.utilization).reduce((sum, fraction) => sum + fraction, 0);
      points.push(total > 0 ? Math.max(0, Math.min(1, busy / total)) : 0);
      if (points.length > SPARKLINE_POINTS) points.splice(0, points.length - SPARKLINE_POINTS);
      this.history.set(key, points);
    }
    return true;
  }

  /** The instances now, by service then host. */
  instances(now: number = Date.now()): ServiceView[] {
    const entries = this.board.current(now);
    const live = new Set(entries.map(keyOf));
    for (const key of this.history.keys()) if (!live.has(key)) this.history.delete(key);
    return entries.map((entry) => view(entry, now, this.fadeAfter, this.history.get(keyOf(entry)) ?? []));
  }

  /** The instances grouped by service, with counts by state name. */
  groups(now: number = Date.now()): ServiceGroup[] {
    const groups = new Map<string, ServiceView[]>();
    for (const instance of this.instances(now)) {
      const list = groups.get(instance.service) ?? [];
      list.push(instance);
      groups.set(instance.service, list);
    }
    return [...groups].map(([service, instances]) => {
      const states: Record<string, number> = {};
      for (const instance of instances) {
        const state = instance.gone ? 'gone' : (STATE_NAMES[String(instance.status)] ?? instance.statustext);
        states[state] = (states[state] ?? 0) + 1;
      }
      return { service, count: instances.length, states, instances };
    });
  }
}

function keyOf(entry: StatusEntry): string {
  return `${entry.host}\u0000${entry.service}`;
}

function view(entry: StatusEntry, now: number, fadeAfter: number, sparkline: readonly number[]): ServiceView {
  const message = entry.message;
  const ageSeconds = Math.max(0, (now - entry.lastSeen) / 1000);
  const utilization = Object.fromEntries(
    Object.entries(entry.utilization).map(([state, fraction]) => [STATE_NAMES[state] ?? state, fraction]),
  );
  const tag = text(message.tag);
  const clusterJobId =
    text(message.cluster_job_id) ?? text(message.cluster_SLURM_JOB_ID) ?? text(message.cluster_JOB_ID);
  const version = text(message.zocalo) ?? text(message.workflows);
  return {
    key: keyOf(entry),
    host: entry.host,
    service: entry.service,
    status: entry.status,
    statustext: entry.statustext,
    utilization,
    ...(tag === undefined ? {} : { tag }),
    ...(clusterJobId === undefined ? {} : { clusterJobId }),
    ...(version === undefined ? {} : { version }),
    lastSeen: new Date(entry.lastSeen).toISOString(),
    ageSeconds: Math.round(ageSeconds * 10) / 10,
    gone: ageSeconds > fadeAfter,
    sparkline: [...sparkline],
  };
}
