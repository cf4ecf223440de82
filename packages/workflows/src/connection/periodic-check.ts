/**
 * A check that runs every `periodMs` while something needs checking (sends waiting for their
 * deadline, say), and not at all otherwise. Its timer never keeps the process alive.
 */
export class PeriodicCheck {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    private readonly check: () => void,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(this.check, this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
