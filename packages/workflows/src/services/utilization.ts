/**
 * The `utilization` field of status broadcasts: the fraction of time spent in each state during the
 * last period (the status interval), as python-workflows' frontend reports it — keys are the state
 * integers (as JSON object keys, so strings), values fractions rounded to 4 decimals.
 */
import type { ServiceStateValue } from '../transport';
import type { Clock } from './clock';

interface Span {
  readonly state: ServiceStateValue;
  readonly start: number;
  end: number | undefined;
}

export class UtilizationStatistics {
  private history: Span[];

  /** @param period seconds each report covers. */
  constructor(
    private readonly period: number,
    private readonly clock: Clock,
    initial: ServiceStateValue,
  ) {
    this.history = [{ state: initial, start: clock.now(), end: undefined }];
  }

  /** Record a change of state now. */
  update(state: ServiceStateValue): void {
    const now = this.clock.now();
    this.history[this.history.length - 1].end = now;
    this.history.push({ state, start: now, end: undefined });
  }

  /** State → fraction of the last period spent in it. Forgets spans older than the period. */
  report(): Record<string, number> {
    const now = this.clock.now();
    const cutoff = now - this.period * 1000;
    const time = new Map<ServiceStateValue, number>();
    let expired = 0;
    for (const span of this.history) {
      const end = span.end ?? now;
      if (end < cutoff) {
        expired++;
        continue;
      }
      time.set(span.state, (time.get(span.state) ?? 0) + end - Math.max(cutoff, span.start));
    }
    if (expired > 0) this.history = this.history.slice(expired);
    let total = 0;
    for (const value of time.values()) total += value;
    const current = this.history[this.history.length - 1].state;
    if (total <= 0) return { [String(current)]: 1 };
    const summary: Record<string, number> = {};
    for (const [state, value] of time) summary[String(state)] = Math.round((value / total) * 10000) / 10000;
    return summary;
  }
}
