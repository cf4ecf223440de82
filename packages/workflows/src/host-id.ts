import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The unique host id of this process: the host name with its dot-separated parts reversed, then `.`
 * and the process id (`uk.ac.diamond.ws123.4711`).
 */
export function uniqueHostId(host: string = hostname(), pid: number = process.pid): string {
  return `${host.split('.').reverse().join('.')}.${pid}`;
}

/**
 * A temporary queue name: the hint (or the unique host id) plus `.` plus a UUID4, prefixed with
 * `transient.` unless the hint already starts with it.
 */
export function temporaryQueueName(hint?: string): string {
  const base = hint || uniqueHostId();
  const name = `${base}.${randomUUID()}`;
  return name.startsWith('transient.') ? name : `transient.${name}`;
}
