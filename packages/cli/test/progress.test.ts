import type { CliIo } from '../src';
import { createProgress, parseRate, parseSeconds } from '../src';
import { sleep } from './helpers';

function recordingIo(stderrIsTTY: boolean): CliIo & { readonly err: string[] } {
  const err: string[] = [];
  return {
    err,
    stdout: () => undefined,
    stderr: (text) => void err.push(text),
    isTTY: false,
    stderrIsTTY,
    env: {},
    cwd: process.cwd(),
  };
}

describe('progress without a terminal', () => {
  it('prints a plain line per interval while the count moves, and a last one at the end', async () => {
    const io = recordingIo(false);
    const progress = createProgress(io, { label: 'purging DLQ.q', total: 10, interval: 0.05 });
    progress.update(3);
    await sleep(120);
    const quietFor = io.err.length;
    await sleep(120); // no change: no new line
    expect(io.err.length).toBe(quietFor);
    progress.update(10);
    progress.stop();
    expect(io.err[0]).toBe('purging DLQ.q: 3/10 messages\n');
    expect(io.err[io.err.length - 1]).toBe('purging DLQ.q: 10/10 messages\n');
    expect(io.err.every((line) => !line.includes('\u001b'))).toBe(true);
  });

  it('stays quiet for a run shorter than one interval, and counts without a total', async () => {
    const io = recordingIo(false);
    const quick = createProgress(io, { label: 'reinjecting', total: 2, unit: 'files', interval: 10 });
    quick.update(2);
    quick.stop();
    expect(io.err).toEqual([]);
    const open = createProgress(io, { label: 'draining a → b', interval: 0.05 });
    open.update(7);
    await sleep(120);
    open.stop();
    expect(io.err).toEqual(['draining a → b: 7 messages\n']);
  });
});

describe('option values', () => {
  it('reads seconds and rates, refusing nonsense with the option named', () => {
    expect(parseSeconds('2.5', '--wait')).toBe(2.5);
    expect(() => parseSeconds('soon', '--wait')).toThrow(/--wait must be a number of seconds/);
    expect(() => parseSeconds('-1', '--wait')).toThrow(/--wait/);
    expect(parseRate('20')).toBe(20);
    expect(parseRate('20/s')).toBe(20);
    expect(() => parseRate('0')).toThrow(/--rate must be/);
  });
});
