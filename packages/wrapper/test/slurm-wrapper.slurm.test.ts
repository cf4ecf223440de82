/**
 * The built-in `slurm` wrapper on the real Slurm of scripts/slurm.sh, on the memory transport: a step
 * run as a cluster job reports `starting` with the job id (also in its status broadcasts), then
 * `success` once the job completed and wrote its output; a job that fails, one Slurm refuses (a bad
 * partition) and one stopped by SIGTERM (cancelled) each end with `failure`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '@zocalo/configuration';
import { loadConfiguration } from '@zocalo/configuration';
import type { RecipeDocument } from '@zocalo/recipes';
import { RecipeWrapper } from '@zocalo/recipes';
import type { SlurmTestSettings } from '@zocalo/test-brokers';
import { requireSlurm, until } from '@zocalo/test-brokers';
import type { MessageBody } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport, RecordingLogger } from '@zocalo/workflows';
import { SLURM_JOB_STATUS_FIELD, runWrapper } from '../src';

jest.setTimeout(30_000);

const OUTPUTS = ['starting', 'success', 'failure', 'completed'] as const;
const logger = new RecordingLogger();
let slurm: SlurmTestSettings;
let dir: string;
let configuration: Configuration;
let transport: MemoryTransport;
let received: Record<string, MessageBody[]>;
let statuses: Array<Record<string, unknown>>;

beforeAll(async () => {
  slurm = await requireSlurm();
  dir = mkdtempSync(join(tmpdir(), 'zocalo-slurm-wrapper-'));
  const site = join(dir, 'site.yml');
  writeFileSync(
    site,
    `version: 1\ncluster:\n  plugin: slurm\n  url: ${slurm.url}\n  api_version: ${slurm.apiVersion}\n` +
      `  user: ${slurm.user}\n  user_token: ${slurm.tokenFile}\nenvironments:\n  default: [cluster]\n`,
  );
  configuration = loadConfiguration({ file: site, env: {} });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  transport = new MemoryTransport({ broker: new MemoryBroker(), logger });
  await transport.connect();
  received = {};
  for (const output of OUTPUTS) {
    received[output] = [];
    await transport.subscribe(
      `out.${output}`,
      (_header, message) => void received[output].push((message as { payload: MessageBody }).payload),
    );
  }
  statuses = [];
  await transport.subscribeBroadcast('transient.status', (_header, message) => {
    statuses.push(message as Record<string, unknown>);
  });
});

afterEach(() => transport.disconnect());

function step(parameters: Record<string, unknown>): RecipeWrapper {
  const recipe: RecipeDocument = {
    '1': {
      queue: 'step',
      parameters,
      output: Object.fromEntries(OUTPUTS.map((output, index) => [output, index + 2])),
    },
    ...Object.fromEntries(OUTPUTS.map((output, index) => [String(index + 2), { queue: `out.${output}` }])),
    start: [[1, null]],
  };
  return RecipeWrapper.fromMessage(
    { recipe, 'recipe-pointer': 1, 'recipe-path': [], environment: { ID: 'slurm-1' }, payload: {} },
    transport,
  );
}

const job = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  working_directory: dir,
  standard_output: join(dir, 'job-%j.out'),
  partition: slurm.partition,
  ...extra,
});

describe('the slurm wrapper', () => {
  it('runs the step as a job: starting with the job id, the id in the status, success at the end', async () => {
    const report = await runWrapper({
      wrapper: 'slurm',
      transport,
      recipeWrapper: step({
        command: ['printf', '%s\n', 'integrated on the cluster'],
        job: job(),
        poll_interval: 0.1,
      }),
      configuration,
      logger,
      statusInterval: 0.1,
    });
    expect(report).toMatchObject({ success: true, outcome: 'success', exitCode: 0 });
    await until(() => received.completed.length === 1);
    const [starting] = received.starting as Array<{ slurm_job_id: number; message: string }>;
    expect(starting).toEqual({ message: 'Starting processing', slurm_job_id: expect.any(Number) });
    expect(received.success).toEqual([
      { slurm_job_id: starting.slurm_job_id, state: 'COMPLETED', exit_code: 0 },
    ]);
    expect(received.failure).toEqual([]);
    expect(readFileSync(join(dir, `job-${starting.slurm_job_id}.out`), 'utf8')).toBe(
      'integrated on the cluster\n',
    );
    expect(statuses.some((status) => status[SLURM_JOB_STATUS_FIELD] === starting.slurm_job_id)).toBe(true);
  });

  it('a job that fails ends with failure, with its state and exit code', async () => {
    const report = await runWrapper({
      wrapper: 'slurm',
      transport,
      recipeWrapper: step({ command: 'exit 3', job: job(), poll_interval: 0.1 }),
      configuration,
      logger,
    });
    expect(report).toMatchObject({ success: false, outcome: 'failure' });
    await until(() => received.completed.length === 1);
    expect(received.success).toEqual([]);
    expect(received.failure).toEqual([
      expect.objectContaining({ state: 'FAILED', exit_code: 3, message: expect.stringMatching(/FAILED/) }),
    ]);
  });

  it("a submission Slurm refuses ends with failure, in Slurm's words", async () => {
    const report = await runWrapper({
      wrapper: 'slurm',
      transport,
      recipeWrapper: step({ command: 'true', job: job({ partition: 'no-such-partition' }) }),
      configuration,
      logger,
    });
    expect(report).toMatchObject({ success: false });
    await until(() => received.completed.length === 1);
    expect(received.starting).toEqual([]);
    expect(received.failure).toEqual([expect.stringMatching(/Invalid partition name specified/)]);
  });

  it('a stopped wrapper cancels its job and reports failure', async () => {
    const stop = new AbortController();
    const running = runWrapper({
      wrapper: 'slurm',
      transport,
      recipeWrapper: step({ command: 'sleep 60', job: job(), poll_interval: 0.1 }),
      configuration,
      logger,
      signal: stop.signal,
    });
    await until(() => received.starting.length === 1, 15_000);
    stop.abort('SIGTERM');
    const report = await running;
    expect(report).toMatchObject({ success: false, outcome: 'stopped' });
    await until(() => received.completed.length === 1);
    expect(received.failure).toHaveLength(1);
  });
});
