/**
 * The status tracker behind `zocalo status` and `zocalo dashboard`: what they show: the latest status broadcast (`transient.status`) of every service
 * instance — host, service, state, utilization, last seen — with entries aged out after 15 s, the
 * expiry of a status message (a service broadcasts every 6 s while it lives).
 */
import { STATUS_TOPIC } from './common-transport';
import type { StatusMessage, Transport } from './transport';
import { ServiceState } from './transport';

/** Seconds after which an instance not heard from is dropped. */
export const STATUS_AGE_LIMIT = 15;

/** One service instance as last heard. */
export interface StatusEntry {
  readonly host: string;
  /** `service`, else a wrapper's `task`, else `?`. */
  readonly service: string;
  readonly status: number;
  readonly statustext: string;
  /** State integer → fraction of the last period. */
  readonly utilization: Readonly<Record<string, number>>;
  /** Epoch milliseconds of the last broadcast received. */
  readonly lastSeen: number;
  readonly message: StatusMessage;
}

const STATE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ServiceState).map(([name, value]) => [String(value), name.toLowerCase()]),
);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `idle 93% · processing 7%`: the states of the last period, most time first. */
export function formatUtilization(utilization: Readonly<Record<string, number>>): string {
  const parts = Object.entries(utilization)
    .filter(([, fraction]) => typeof fraction === 'number' && fraction > 0.005)
    .sort(([, a], [, b]) => b - a)
    .map(([state, fraction]) => `${STATE_NAMES[state] ?? state} ${Math.round(fraction * 100)}%`);
  return parts.join(' · ') || '-';
}

export class StatusBoard {
  private readonly entries = new Map<string, StatusEntry>();

  constructor(readonly ageLimit: number = STATUS_AGE_LIMIT) {}

  /** Record a status broadcast; returns false for a message that is no status. */
  update(message: unknown, now: number = Date.now()): boolean {
    if (!isObject(message) || typeof message.host !== 'string' || typeof message.status !== 'number')
      return false;
    const service =
      typeof message.service === 'string'
        ? message.service
        : typeof message.task === 'string'
          ? message.task
          : '?';
    const utilization = isObject(message.utilization)
      ? Object.fromEntries(
          Object.entries(message.utilization).filter(
            (entry): entry is [string, number] => typeof entry[1] === 'number',
          ),
        )
      : {};
    this.entries.set(`${message.host}\u0000${service}`, {
      host: message.host,
      service,
      status: message.status,
      statustext: typeof message.statustext === 'string' ? message.statustext : String(message.status),
      utilization,
      lastSeen: now,
      message: message as StatusMessage,
    });
    return true;
  }

  /** The instances heard from within the age limit, by service then host; older ones are dropped. */
  current(now: number = Date.now()): StatusEntry[] {
    for (const [key, entry] of this.entries) {
      if (now - entry.lastSeen > this.ageLimit * 1000) this.entries.delete(key);
    }
    return [...this.entries.values()].sort(
      (a, b) => a.service.localeCompare(b.service) || a.host.localeCompare(b.host),
    );
  }

  /** The table `zocalo status` prints. */
  render(now: number = Date.now()): string {
    const rows = this.current(now).map((entry) => [
      entry.host,
      entry.service,
      entry.statustext,
      formatUtilization(entry.utilization),
      `${Math.max(0, Math.round((now - entry.lastSeen) / 1000))}s ago`,
    ]);
    if (rows.length === 0) return 'No service status received.\n';
    const header = ['HOST', 'SERVICE', 'STATE', 'UTILIZATION', 'LAST SEEN'];
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => row[column].length)),
    );
    const line = (cells: readonly string[]): string =>
      cells
        .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd();
    return `${[line(header), ...rows.map(line)].join('\n')}\n`;
  }

  /** The instances as JSON-ready objects. */
  toJSON(now: number = Date.now()): Array<Record<string, unknown>> {
    return this.current(now).map((entry) => ({
      host: entry.host,
      service: entry.service,
      status: entry.status,
      statustext: entry.statustext,
      utilization: entry.utilization,
      lastSeen: new Date(entry.lastSeen).toISOString(),
      ageSeconds: (now - entry.lastSeen) / 1000,
    }));
  }
}

/**
 * Listen to status broadcasts on a connected transport (retroactively where the broker keeps recent
 * broadcasts); returns a function that stops listening.
 */
export async function watchStatus(
  transport: Transport,
  onStatus: (message: unknown) => void,
): Promise<() => Promise<void>> {
  const subscription = await transport.subscribeBroadcast(
    STATUS_TOPIC,
    (_header, message) => onStatus(message),
    {
      ...(transport.capabilities.retroactive ? { retroactive: true } : {}),
    },
  );
  return () => transport.unsubscribe(subscription);
}
