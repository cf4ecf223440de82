/**
 * runSlurmJob against the real Slurm of scripts/slurm.sh: the four ends a wrapper reports (a job that
 * succeeds and writes its output, one that fails, one cancelled, one Slurm refuses to take).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlurmJobRejectedError, describeSlurmJobResult, runSlurmJob } from '../src';
import { useSlurm } from './helpers';

const slurm = useSlurm();
const POLL = 100;

describe('runSlurmJob on a real Slurm', () => {
  it('a job that succeeds: its id is reported first, its output file appears, it ends completed', async () => {
    const { api, dir } = slurm.get();
    const events: string[] = [];
    const output = join(dir, 'success-%j.out');
    const started = Date.now();
    const result = await runSlurmJob({
      api,
      job: { name: 'zocalo-success', workingDirectory: dir, standardOutput: output },
      command: ['printf', '%s\n', 'processed by Slurm'],
      pollInterval: POLL,
      onSubmitted: (jobId) => {
        events.push(`submitted ${jobId}`);
      },
      onUpdate: (job) => events.push(job.state),
    });
    const roundTrip = Date.now() - started;
    expect(result).toMatchObject({
      outcome: 'completed',
      success: true,
      state: 'COMPLETED',
      exitCode: 0,
      aborted: false,
    });
    expect(events[0]).toBe(`submitted ${result.jobId}`);
    expect(events.at(-1)).toBe('COMPLETED');
    const file = join(dir, `success-${result.jobId}.out`);
    expect(readFileSync(file, 'utf8')).toBe('processed by Slurm\n');
    expect(describeSlurmJobResult(result)).toBe(`Slurm job ${result.jobId} COMPLETED (exit code 0)`);
    // A round trip on an idle single node is about a second; far more means the polling is wrong.
    expect(roundTrip).toBeLessThan(10_000);
  });

  it('a job that exits 3 ends failed, with its exit code and Slurm’s reason', async () => {
    const { api, dir } = slurm.get();
    const result = await runSlurmJob({
      api,
      job: { name: 'zocalo-failure', workingDirectory: dir, standardOutput: join(dir, 'failure-%j.out') },
      command: 'echo about to fail; exit 3',
      pollInterval: POLL,
    });
    expect(result).toMatchObject({
      outcome: 'failed',
      success: false,
      state: 'FAILED',
      exitCode: 3,
      reason: 'NonZeroExitCode',
    });
    expect(readFileSync(join(dir, `failure-${result.jobId}.out`), 'utf8')).toBe('about to fail\n');
    expect(describeSlurmJobResult(result)).toBe(
      `Slurm job ${result.jobId} FAILED (exit code 3, NonZeroExitCode)`,
    );
  });

  it('aborting cancels the running job, which ends cancelled by SIGTERM', async () => {
    const { api, dir } = slurm.get();
    const controller = new AbortController();
    const started = join(dir, 'cancel.started');
    const marker = join(dir, 'cancelled-never-written');
    // Aborted once the script runs (a job cancelled before its script started ends without a signal).
    const watch = setInterval(() => {
      if (existsSync(started)) controller.abort();
    }, 20);
    const result = await runSlurmJob({
      api,
      job: { name: 'zocalo-cancel', workingDirectory: dir },
      command: `touch ${started}; sleep 60; touch ${marker}`,
      pollInterval: POLL,
      signal: controller.signal,
    }).finally(() => clearInterval(watch));
    expect(result).toMatchObject({
      outcome: 'cancelled',
      success: false,
      state: 'CANCELLED',
      signal: 15,
      aborted: true,
    });
    expect(describeSlurmJobResult(result)).toBe(
      `Slurm job ${result.jobId} CANCELLED (signal 15, cancelled on request)`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('a job cancelled by someone else (scancel) ends cancelled, not aborted', async () => {
    const { api, dir } = slurm.get();
    const result = await runSlurmJob({
      api,
      job: { workingDirectory: dir },
      command: 'sleep 60',
      pollInterval: POLL,
      onSubmitted: (jobId) => api.cancelJob(jobId),
    });
    expect(result).toMatchObject({ outcome: 'cancelled', state: 'CANCELLED', aborted: false });
  });

  it('a submission Slurm rejects (a bad partition) rejects with Slurm’s message, and nothing is reported', async () => {
    const { api, dir } = slurm.get();
    const submitted: number[] = [];
    const error = await runSlurmJob({
      api,
      job: { workingDirectory: dir, partition: 'no-such-partition' },
      command: 'true',
      pollInterval: POLL,
      onSubmitted: (jobId) => {
        submitted.push(jobId);
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlurmJobRejectedError);
    expect((error as SlurmJobRejectedError).slurmMessages).toEqual([
      'Invalid partition name specified (error 2000)',
    ]);
    expect(submitted).toEqual([]);
  });

  it('a report that throws cancels the job it could not report, and the error comes back', async () => {
    const { api, dir } = slurm.get();
    let jobId = 0;
    const error = await runSlurmJob({
      api,
      job: { workingDirectory: dir },
      command: 'sleep 60',
      pollInterval: POLL,
      onSubmitted: (id) => {
        jobId = id;
        throw new Error('the broker is away');
      },
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('the broker is away');
    const job = await api.getJob(jobId);
    expect(['CANCELLED', 'RUNNING', 'PENDING']).toContain(job.state);
    if (job.state !== 'CANCELLED') expect(job.stateFlags).toContain('COMPLETING');
  });
});
