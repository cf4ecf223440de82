/** SlurmRestApi against the real single-node Slurm of scripts/slurm.sh (REST API v0.0.38). */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  SlurmApiError,
  SlurmAuthError,
  SlurmConnectionError,
  SlurmJobNotFoundError,
  SlurmJobRejectedError,
  SlurmRestApi,
  jobEnded,
} from '../src';
import type { SlurmJob } from '../src';
import { until } from '@zocalo/test-brokers';
import { useSlurm } from './helpers';

const slurm = useSlurm();

/** A loopback port nothing listens on: one the system just gave and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForEnd(api: SlurmRestApi, jobId: number): Promise<SlurmJob> {
  let job = await api.getJob(jobId);
  const deadline = Date.now() + 20_000;
  while (!jobEnded(job)) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    job = await api.getJob(jobId);
  }
  return job;
}

describe('SlurmRestApi on a real slurmrestd', () => {
  it('pings slurmctld and reports the Slurm release', async () => {
    const { api } = slurm.get();
    const result = await api.ping();
    expect(result.pings.length).toBeGreaterThan(0);
    expect(result.pings[0]).toMatchObject({ responding: true, mode: 'primary' });
    expect(result.release).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('submits a job with its settings, finds it in getJob and listJobs, and sees it complete', async () => {
    const { api, dir, settings } = slurm.get();
    const submission = await api.submitJob({
      name: 'zocalo-client-test',
      script: '#!/bin/sh\necho "greeting=$GREETING cwd=$(pwd)"\n',
      workingDirectory: dir,
      environment: { PATH: '/usr/bin:/bin', GREETING: 'hello from zocalo' },
      standardOutput: join(dir, 'client-%j.out'),
      partition: settings.partition,
      timeLimit: 5,
      nodes: 1,
      tasks: 1,
      cpusPerTask: 1,
      memoryPerNode: 1,
    });
    expect(submission.jobId).toBeGreaterThan(0);
    const seen = await api.getJob(submission.jobId);
    expect(seen).toMatchObject({ jobId: submission.jobId, name: 'zocalo-client-test', partition: 'debug' });
    expect(seen.raw.time_limit).toBe(5);
    expect(seen.raw.memory_per_node).toBe(1);
    const listed = await api.listJobs();
    expect(listed.map((job) => job.jobId)).toContain(submission.jobId);

    const ended = await waitForEnd(api, submission.jobId);
    expect(ended).toMatchObject({
      state: 'COMPLETED',
      exitCode: 0,
      userName: settings.user,
      workingDirectory: dir,
    });
    expect(ended.endTime).toBeGreaterThanOrEqual(ended.startTime ?? 0);
    const output = join(dir, `client-${submission.jobId}.out`);
    expect(readFileSync(output, 'utf8')).toBe(`greeting=hello from zocalo cwd=${dir}\n`);
  });

  it('reads a failed job’s exit code and a cancelled job’s signal from the raw wait status', async () => {
    const { api, dir } = slurm.get();
    const failed = await api.submitJob({ script: '#!/bin/sh\nexit 3\n', workingDirectory: dir });
    // Cancelled once its script runs: a job cancelled before slurmd launched the script has no signal.
    const started = join(dir, 'client-cancel.started');
    const running = await api.submitJob({
      script: `#!/bin/sh\ntouch ${started}\nsleep 60\n`,
      workingDirectory: dir,
    });
    await until(() => existsSync(started), 10_000, 'the job to start');
    await api.cancelJob(running.jobId);
    expect(await waitForEnd(api, failed.jobId)).toMatchObject({
      state: 'FAILED',
      exitCode: 3,
      signal: undefined,
      stateReason: 'NonZeroExitCode',
    });
    expect(await waitForEnd(api, running.jobId)).toMatchObject({ state: 'CANCELLED', signal: 15 });
  });

  it('a submission to a partition that does not exist is a SlurmJobRejectedError with Slurm’s message', async () => {
    const { api, dir } = slurm.get();
    const error = await api
      .submitJob({ script: '#!/bin/sh\ntrue\n', workingDirectory: dir, partition: 'no-such-partition' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlurmJobRejectedError);
    const rejected = error as SlurmJobRejectedError;
    expect(rejected.code).toBe('ZOCALO_SLURM_JOB_REJECTED');
    expect(rejected.slurmErrors).toEqual([{ error: 'Invalid partition name specified', errorNumber: 2000 }]);
    expect(rejected.message).toBe(
      'Slurm REST API: POST /slurm/v0.0.38/job/submit failed (HTTP 500): Invalid partition name specified ' +
        "(error 2000); the job was not submitted: fix its settings (partition, resources, paths) as Slurm's message says",
    );
  });

  it('an unknown job id is a SlurmJobNotFoundError for getJob and cancelJob', async () => {
    const { api } = slurm.get();
    const get = await api.getJob(999_999).catch((caught: unknown) => caught);
    expect(get).toBeInstanceOf(SlurmJobNotFoundError);
    expect((get as SlurmJobNotFoundError).jobId).toBe(999_999);
    expect((get as Error).message).toContain(
      'Unable to find JobId=999999 (Invalid job id specified, error 2017',
    );
    const cancel = await api.cancelJob(999_999).catch((caught: unknown) => caught);
    expect(cancel).toBeInstanceOf(SlurmJobNotFoundError);
    expect((cancel as Error).message).toContain('unable to kill JobId=999999');
  });

  it('refused credentials are a SlurmAuthError: a wrong token, and no user name', async () => {
    const { settings } = slurm.get();
    const wrongToken = new SlurmRestApi({
      url: settings.url,
      apiVersion: 'v0.0.38',
      user: 'root',
      userToken: 'x.y.z',
    });
    const wrong = await wrongToken.ping().catch((caught: unknown) => caught);
    expect(wrong).toBeInstanceOf(SlurmAuthError);
    expect((wrong as Error).message).toContain('invalid or expired JWT');
    const anonymous = new SlurmRestApi({
      url: settings.url,
      apiVersion: 'v0.0.38',
      tokenFile: settings.tokenFile,
    });
    const refused = await anonymous.ping().catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(SlurmAuthError);
    expect((refused as SlurmAuthError).status).toBe(401);
    expect((refused as Error).message).toContain('(HTTP 401): Authentication failure');
  });

  it('an API version slurmrestd does not serve says how to load it', async () => {
    const { settings } = slurm.get();
    const api = new SlurmRestApi({
      url: settings.url,
      apiVersion: 'v0.0.44',
      user: settings.user,
      tokenFile: settings.tokenFile,
    });
    const error = await api.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlurmApiError);
    expect((error as SlurmApiError).status).toBe(404);
    expect((error as Error).message).toContain('slurmrestd -s openapi/v0.0.44');
  });

  it('no slurmrestd at the URL is a SlurmConnectionError naming it', async () => {
    const port = await closedPort();
    const api = new SlurmRestApi({ url: `http://127.0.0.1:${port}`, apiVersion: 'v0.0.38', userToken: 'x' });
    const error = await api.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlurmConnectionError);
    expect((error as Error).message).toContain(
      `Slurm REST API at http://127.0.0.1:${port} did not answer: GET /slurm/v0.0.38/ping: connect ECONNREFUSED`,
    );
  });

  it('request() reaches any endpoint (python-zocalo’s get/post/delete)', async () => {
    const { api } = slurm.get();
    const nodes = (await api.request('GET', api.path('nodes'))) as {
      nodes: Array<{ name: string; state: string }>;
    };
    expect(nodes.nodes.length).toBe(1);
    expect(nodes.nodes[0].state).toMatch(/idle|mixed|allocated/i);
  });
});

// slurmrestd also loads the two older plugins of the same generation (scripts/slurm.sh).
describe.each(['v0.0.36', 'v0.0.37'])('SlurmRestApi on a real slurmrestd, API %s', (apiVersion) => {
  it('pings, runs a job to its end, and knows an unknown job id', async () => {
    const { dir, settings } = slurm.get();
    const api = new SlurmRestApi({
      url: settings.url,
      apiVersion,
      user: settings.user,
      tokenFile: settings.tokenFile,
    });
    expect((await api.ping()).pings[0]).toMatchObject({ responding: true });
    const { jobId } = await api.submitJob({
      script: '#!/bin/sh\nexit 3\n',
      workingDirectory: dir,
      timeLimit: 5,
    });
    expect(await waitForEnd(api, jobId)).toMatchObject({ jobId, state: 'FAILED', exitCode: 3 });
    expect((await api.listJobs()).map((job) => job.jobId)).toContain(jobId);
    await expect(api.getJob(999_999)).rejects.toThrow(SlurmJobNotFoundError);
  });
});
