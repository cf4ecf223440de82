/**
 * The two generations of the REST API, read and written: answers recorded from the real v0.0.38
 * slurmrestd, and v0.0.44 (python-zocalo's default) answers written from its OpenAPI description and
 * python-zocalo's models (fixtures/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_SLURM_API_VERSION,
  SLURM_API_VERSIONS,
  SlurmConfigError,
  isLegacyApi,
  jobEnded,
  readJobs,
  readPing,
  readSubmission,
  slurmApiVersion,
  slurmErrors,
  slurmNumber,
  submissionBody,
} from '../src';
import type { JsonValue, SlurmJob } from '../src';

function fixture(version: string, name: string): JsonValue {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', version, `${name}.json`), 'utf8')) as JsonValue;
}

function job(version: string, name: string): SlurmJob {
  const jobs = readJobs(fixture(version, name));
  expect(jobs).toHaveLength(1);
  return jobs[0];
}

/** What a wrapper reads of a job, without `raw`. */
function summary(value: SlurmJob): Omit<SlurmJob, 'raw'> {
  const { raw: _raw, ...rest } = value;
  return rest;
}

describe('API versions', () => {
  it('speaks v0.0.36 to v0.0.44, defaults to python-zocalo’s v0.0.44, and refuses others by name', () => {
    expect(SLURM_API_VERSIONS[0]).toBe('v0.0.36');
    expect(SLURM_API_VERSIONS.at(-1)).toBe('v0.0.44');
    expect(DEFAULT_SLURM_API_VERSION).toBe('v0.0.44');
    expect(slurmApiVersion('v0.0.38')).toBe('v0.0.38');
    expect(slurmApiVersion('0.0.40')).toBe('v0.0.40');
    expect(() => slurmApiVersion('v0.0.45')).toThrow(SlurmConfigError);
    expect(() => slurmApiVersion('latest')).toThrow(
      /'latest' is not one this client speaks; use one of v0\.0\.36, /,
    );
    expect(['v0.0.36', 'v0.0.38', 'v0.0.39', 'v0.0.44'].map((v) => isLegacyApi(slurmApiVersion(v)))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('reads both number forms: plain, and {set, infinite, number}', () => {
    expect(slurmNumber(5)).toBe(5);
    expect(slurmNumber({ set: true, infinite: false, number: 5 })).toBe(5);
    expect(slurmNumber({ set: false, infinite: false, number: 0 })).toBeUndefined();
    expect(slurmNumber({ set: false, infinite: true, number: 0 })).toBe(Number.POSITIVE_INFINITY);
    expect(slurmNumber(null)).toBeUndefined();
  });
});

describe('v0.0.38 (recorded from Slurm 22.05.8)', () => {
  it('a completed job', () => {
    expect(summary(job('v0.0.38', 'job-completed'))).toMatchObject({
      jobId: 28,
      name: 'fixture-ok',
      state: 'COMPLETED',
      stateFlags: [],
      stateReason: 'None',
      exitCode: 0,
      signal: undefined,
      partition: 'debug',
      userName: 'root',
      workingDirectory: '/tmp/zocalo-fixture',
    });
    expect(jobEnded(job('v0.0.38', 'job-completed'))).toBe(true);
  });

  it('exit 3 is the wait status 768; a cancelled job’s 15 is SIGTERM', () => {
    expect(job('v0.0.38', 'job-failed')).toMatchObject({
      state: 'FAILED',
      exitCode: 3,
      signal: undefined,
      stateReason: 'NonZeroExitCode',
      standardOutput: '/tmp/zocalo-fixture/failed-%j.out',
    });
    expect(job('v0.0.38', 'job-cancelled')).toMatchObject({ state: 'CANCELLED', exitCode: 0, signal: 15 });
  });

  it('a running job has no exit code yet; COMPLETING stands for the state and is not an end', () => {
    const running = job('v0.0.38', 'job-running');
    expect(running).toMatchObject({ state: 'RUNNING', exitCode: undefined, endTime: undefined });
    expect(jobEnded(running)).toBe(false);
    const completing = job('v0.0.38', 'job-completing');
    expect(completing).toMatchObject({ state: 'RUNNING', stateFlags: ['COMPLETING'] });
    expect(jobEnded(completing)).toBe(false);
  });

  it('submission, ping and the three error shapes it sends', () => {
    expect(readSubmission(fixture('v0.0.38', 'submit'))).toEqual({
      jobId: 27,
      stepId: 'BATCH',
      userMessage: undefined,
      warnings: [],
    });
    expect(readPing(fixture('v0.0.38', 'ping'))).toEqual({
      pings: [{ hostname: 'vm', responding: true, mode: 'primary' }],
      release: '22.05.8',
    });
    expect(slurmErrors(fixture('v0.0.38', 'submit-bad-partition'))).toEqual([
      {
        error: 'Invalid partition name specified',
        errorNumber: 2000,
        description: undefined,
        source: undefined,
      },
    ]);
    expect(slurmErrors(fixture('v0.0.38', 'job-not-found'))).toEqual([
      {
        error: 'Invalid job id specified',
        errorNumber: 2017,
        description: 'Unable to find JobId=999999',
        source: 'slurm_load_job',
      },
    ]);
    expect(slurmErrors(fixture('v0.0.38', 'submit-no-environment')).map((e) => e.errorNumber)).toEqual([
      2127, 9001,
    ]);
    expect(slurmErrors(fixture('v0.0.38', 'cancel'))).toEqual([]);
  });

  it('writes the job as v0.0.38 takes it: an environment object, plain integers, nodes as [min, max]', () => {
    expect(
      submissionBody('v0.0.38', {
        script: '#!/bin/sh\ntrue\n',
        name: 'x',
        workingDirectory: '/data',
        environment: { PATH: '/bin', A: '1' },
        standardOutput: '/data/%j.out',
        partition: 'debug',
        timeLimit: 30,
        nodes: 2,
        tasks: 4,
        cpusPerTask: 2,
        memoryPerNode: 1024,
        extra: { requeue: false },
      }),
    ).toEqual({
      script: '#!/bin/sh\ntrue\n',
      job: {
        name: 'x',
        current_working_directory: '/data',
        environment: { PATH: '/bin', A: '1' },
        standard_output: '/data/%j.out',
        partition: 'debug',
        time_limit: 30,
        nodes: [2, 2],
        tasks: 4,
        cpus_per_task: 2,
        memory_per_node: 1024,
        requeue: false,
      },
    });
  });
});

describe('v0.0.44 (python-zocalo’s default; from its OpenAPI description and models)', () => {
  it('job_state is a list and exit_code a structure: completed, failed, cancelled, timeout', () => {
    expect(summary(job('v0.0.44', 'job-completed'))).toEqual({
      jobId: 4242,
      name: 'zocalo-job',
      state: 'COMPLETED',
      stateFlags: [],
      stateReason: 'None',
      exitCode: 0,
      signal: undefined,
      partition: 'cs05r',
      nodes: 'cs05r-sc-com01',
      userName: 'zocalo',
      workingDirectory: '/dls/tmp/zocalo',
      standardOutput: '/dls/tmp/zocalo/slurm-%j.out',
      standardError: '/dls/tmp/zocalo/slurm-%j.out',
      submitTime: 1767225778,
      startTime: 1767225780,
      endTime: 1767225790,
    });
    expect(job('v0.0.44', 'job-failed')).toMatchObject({
      state: 'FAILED',
      exitCode: 3,
      stateReason: 'NonZeroExitCode',
    });
    expect(job('v0.0.44', 'job-cancelled')).toMatchObject({ state: 'CANCELLED', exitCode: 0, signal: 15 });
    expect(job('v0.0.44', 'job-timeout')).toMatchObject({
      state: 'TIMEOUT',
      signal: 15,
      stateReason: 'TimeLimit',
    });
    for (const name of ['job-completed', 'job-failed', 'job-cancelled', 'job-timeout']) {
      expect(jobEnded(job('v0.0.44', name))).toBe(true);
    }
  });

  it('pending, running, completing and requeued jobs are not over, and have no exit code', () => {
    expect(job('v0.0.44', 'job-pending')).toMatchObject({
      state: 'PENDING',
      exitCode: undefined,
      startTime: undefined,
      stateReason: 'Priority',
    });
    expect(job('v0.0.44', 'job-running')).toMatchObject({
      state: 'RUNNING',
      exitCode: undefined,
      endTime: undefined,
    });
    expect(job('v0.0.44', 'job-completing')).toMatchObject({
      state: 'COMPLETED',
      stateFlags: ['COMPLETING'],
    });
    expect(job('v0.0.44', 'job-requeued')).toMatchObject({ state: 'PENDING', stateFlags: ['REQUEUED'] });
    for (const name of ['job-pending', 'job-running', 'job-completing', 'job-requeued']) {
      expect(jobEnded(job('v0.0.44', name))).toBe(false);
    }
  });

  it('submission (top-level job_id, or v0.0.40’s result), ping (pinged, responding) and errors', () => {
    expect(readSubmission(fixture('v0.0.44', 'submit'))).toEqual({
      jobId: 4242,
      stepId: 'batch',
      userMessage: undefined,
      warnings: [],
    });
    expect(readSubmission(fixture('v0.0.40', 'submit-result'))).toEqual({
      jobId: 77,
      stepId: 'batch',
      userMessage: 'submitted to cs05r',
      warnings: [],
    });
    expect(readPing(fixture('v0.0.44', 'ping'))).toEqual({
      pings: [{ hostname: 'wilson-ctld', responding: true, mode: 'primary' }],
      release: '25.11.0',
    });
    expect(readPing(fixture('v0.0.40', 'ping'))).toEqual({
      pings: [{ hostname: 'wilson-ctld', responding: true, mode: 'primary' }],
      release: '23.11.1',
    });
    expect(slurmErrors(fixture('v0.0.44', 'job-not-found'))).toEqual([
      {
        error: 'Invalid job id specified',
        errorNumber: 2017,
        description: 'Unable to find JobId=999999',
        source: '_handle_job_get()',
      },
    ]);
    expect(slurmErrors(fixture('v0.0.44', 'submit-bad-partition'))[0]).toMatchObject({
      error: 'Invalid partition name specified',
      errorNumber: 2000,
    });
  });

  it('writes the job as v0.0.39 on take it: KEY=value environment, {set, number} numbers, nodes as text', () => {
    const body = submissionBody('v0.0.44', {
      script: '#!/bin/sh\ntrue\n',
      workingDirectory: '/data',
      environment: { PATH: '/bin', A: 'x=y' },
      timeLimit: 30,
      nodes: 2,
      memoryPerNode: 1024,
      memoryPerCpu: 256,
    });
    expect(body).toEqual({
      script: '#!/bin/sh\ntrue\n',
      job: {
        current_working_directory: '/data',
        environment: ['PATH=/bin', 'A=x=y'],
        time_limit: { set: true, infinite: false, number: 30 },
        nodes: '2',
        memory_per_node: { set: true, infinite: false, number: 1024 },
        memory_per_cpu: { set: true, infinite: false, number: 256 },
      },
    });
  });

  it('a job without an environment gets PATH only, not the submitter’s whole environment', () => {
    const body = submissionBody('v0.0.44', { script: '#!/bin/sh\n', workingDirectory: '/' }) as {
      job: { environment: string[] };
    };
    expect(body.job.environment).toEqual([`PATH=${process.env.PATH}`]);
  });
});
