/**
 * The built-in `dummy` wrapper (python-zocalo's `DummyWrapper`): waits 20 seconds, adding
 * " (still running)" to its task name half way, and succeeds; for trying out a site's wrapper set-up.
 * A step parameter `seconds` shortens or lengthens the wait (not in Python). Stopped early, it fails.
 */
import type { WrapperRunResult } from './base-wrapper';
import { BaseWrapper } from './base-wrapper';

function pause(seconds: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, seconds * 1000);
    const stop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

export class DummyWrapper extends BaseWrapper {
  async run(): Promise<WrapperRunResult> {
    const asked = Number(this.recipeWrapper?.recipeStep?.parameters?.seconds);
    const seconds = Number.isFinite(asked) && asked >= 0 ? asked : 20;
    this.logger.info({}, `This is a dummy wrapper that simply waits for ${seconds} seconds.`);
    if (!(await pause(seconds / 2, this.signal))) return false;
    this.status.task += ' (still running)';
    return pause(seconds / 2, this.signal);
  }
}
