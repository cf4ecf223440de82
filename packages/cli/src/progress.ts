/**
 * Progress of a long operation (purge, reinject, drain) on stderr, never on stdout (which holds the
 * command's result): a cli-progress bar redrawn in place when stderr is a terminal, otherwise a plain
 * line every few seconds (so a log file or CI output gets a steady, readable trace, not escape codes).
 */
import cliProgress from 'cli-progress';
import type { CliIo } from './io';

export interface Progress {
  /** The running count (and the total, once it is known). */
  update(done: number, total?: number): void;
  /** Final state; removes nothing, so the last bar (or line) stays visible. */
  stop(): void;
}

export interface ProgressOptions {
  /** Shown before the count: `purging DLQ.x`. */
  readonly label: string;
  /** How many there will be, when known; the bar shows a count only without it. */
  readonly total?: number;
  /** What is counted. Default `messages`. */
  readonly unit?: string;
  /** Seconds between plain lines when stderr is not a terminal. Default 2. */
  readonly interval?: number;
}

/** A progress display for `io`: a bar on a terminal, periodic lines otherwise. */
export function createProgress(io: CliIo, options: ProgressOptions): Progress {
  const unit = options.unit ?? 'messages';
  if (io.stderrIsTTY === true) return barProgress(options.label, unit, options.total);
  return lineProgress(io, options.label, unit, options.total, (options.interval ?? 2) * 1000);
}

function barProgress(label: string, unit: string, initialTotal: number | undefined): Progress {
  const known = initialTotal !== undefined && initialTotal > 0;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: known
        ? `${label} [{bar}] {value}/{total} ${unit} | {percentage}% | ETA {eta_formatted}`
        : `${label} {value} ${unit} | {duration_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(known ? initialTotal : 0, 0);
  return {
    update(done, total) {
      if (total !== undefined && known) bar.setTotal(Math.max(total, done));
      else if (known && done > bar.getTotal()) bar.setTotal(done);
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}

function lineProgress(
  io: CliIo,
  label: string,
  unit: string,
  initialTotal: number | undefined,
  intervalMs: number,
): Progress {
  let total = initialTotal;
  let done = 0;
  let printed = -1;
  const line = (): string =>
    total !== undefined && total > 0
      ? `${label}: ${done}/${Math.max(total, done)} ${unit}\n`
      : `${label}: ${done} ${unit}\n`;
  const timer = setInterval(() => {
    if (done === printed) return;
    printed = done;
    io.stderr(line());
  }, intervalMs);
  timer.unref();
  return {
    update(count, newTotal) {
      done = count;
      if (newTotal !== undefined) total = newTotal;
    },
    stop() {
      clearInterval(timer);
      // A last line only when lines were printed and the count moved since: a quick run stays quiet.
      if (printed >= 0 && printed !== done) io.stderr(line());
    },
  };
}
