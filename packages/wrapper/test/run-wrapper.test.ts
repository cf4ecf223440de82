/**
 * The wrapper API on the memory transport: BaseWrapper's reporting methods on python-zocalo's
 * recipe outputs, what the runner sends around run() (true, false, a throw, a stop), the status
 * broadcasts, and finding wrappers by name among installed packages.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RecipeWrapper } from '@zocalo/recipes';
import type { RecipeDocument } from '@zocalo/recipes';
import { until } from '@zocalo/test-brokers';
import type { MessageBody } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport, PluginLoadError, RecordingLogger } from '@zocalo/workflows';
import type { WrapperRunResult } from '../src';
import {
  BaseWrapper,
  DummyWrapper,
  RecipeWrapperFileError,
  UnknownWrapperError,
  ZOCALO_VERSION,
  extendedStatusFields,
  knownWrappers,
  loadWrapper,
  runWrapper,
} from '../src';

const logger = new RecordingLogger();
const OUTPUTS = [
  'starting',
  'updates',
  'success',
  'failure',
  'completed',
  'result-individual-file',
  'result-all-files',
] as const;

/** A step whose every named output goes to a queue of that name. */
const RECIPE: RecipeDocument = {
  '1': {
    queue: 'step',
    parameters: { sample: 'lysozyme' },
    wrapper: { task_information: 'lysozyme' },
    output: Object.fromEntries(OUTPUTS.map((output, index) => [output, index + 2])),
  },
  ...Object.fromEntries(OUTPUTS.map((output, index) => [String(index + 2), { queue: `out.${output}` }])),
  start: [[1, null]],
};

let transport: MemoryTransport;
let received: Record<string, MessageBody[]>;
let statuses: Array<Record<string, unknown>>;

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

function step(): RecipeWrapper {
  return RecipeWrapper.fromMessage(
    { recipe: RECIPE, 'recipe-pointer': 1, 'recipe-path': [], environment: { ID: 'r-1' }, payload: {} },
    transport,
  );
}

class Integrator extends BaseWrapper {
  async run(): Promise<WrapperRunResult> {
    const sample = this.recipeWrapper?.recipeStep?.parameters?.sample;
    this.status.setStaticField('cluster_job', 4242);
    await this.update(`integrating ${String(sample)}`);
    await this.recordResultIndividualFile({ file: 'a.mtz' });
    await this.recordResultAllFiles({ files: ['a.mtz', 'a.log'] });
    this.status.task += ' (merging)';
    await new Promise((resolve) => setTimeout(resolve, 150));
    return true;
  }
}

describe('runWrapper', () => {
  it("sends to python-zocalo's outputs: starting, updates, results, success, completed", async () => {
    const report = await runWrapper({
      wrapper: Integrator,
      transport,
      recipeWrapper: step(),
      logger,
      statusInterval: 0.05,
      hostId: 'uk.ac.example.ws1.7',
    });
    expect(report).toEqual({
      success: true,
      outcome: 'success',
      exitCode: 0,
      payload: 'Finished processing',
      task: 'Integrator (lysozyme) (merging)',
    });
    await until(() => received.completed.length === 1);
    expect(received).toEqual({
      starting: ['Starting processing'],
      updates: ['integrating lysozyme'],
      success: ['Finished processing'],
      failure: [],
      completed: ['Finished processing'],
      'result-individual-file': [{ file: 'a.mtz' }],
      'result-all-files': [{ files: ['a.mtz', 'a.log'] }],
    });
    await until(() => statuses.some((status) => status.status === 6));
    // Python's fields: host, task, status/statustext, the versions, and the static ones added.
    expect(statuses[0]).toEqual({
      ...extendedStatusFields(),
      host: 'uk.ac.example.ws1.7',
      task: 'Integrator',
      status: 1,
      statustext: 'starting',
      workflows: expect.any(String),
      zocalo: ZOCALO_VERSION,
    });
    const tasks = statuses.map((status) => `${String(status.status)} ${String(status.task)}`);
    expect(tasks).toContain('4 Integrator (lysozyme)');
    expect(tasks.at(-1)).toBe('6 Integrator (lysozyme) (merging)');
    expect(statuses.at(-1)).toMatchObject({ cluster_job: 4242, statustext: 'shutdown' });
    // At once on a change, and every interval in between (0.05 s here, 3 s by default).
    expect(
      statuses.filter((status) => status.task === 'Integrator (lysozyme) (merging)').length,
    ).toBeGreaterThan(2);
  });

  it('reports run() returning false as "Processing failed", exit code 1', async () => {
    class Fails extends BaseWrapper {
      run(): boolean {
        return false;
      }
    }
    const report = await runWrapper({ wrapper: Fails, transport, recipeWrapper: step(), logger });
    expect(report).toMatchObject({
      success: false,
      outcome: 'failure',
      exitCode: 1,
      payload: 'Processing failed',
    });
    await until(() => received.completed.length === 1);
    expect([received.success, received.failure]).toEqual([[], ['Processing failed']]);
  });

  it('reports a throw as a failure with the error text, status error, exit code 1', async () => {
    class Throws extends BaseWrapper {
      async run(): Promise<boolean> {
        throw new Error('no images found in /dls/i04/data');
      }
    }
    const report = await runWrapper({ wrapper: Throws, transport, recipeWrapper: step(), logger });
    expect(report).toMatchObject({
      success: false,
      outcome: 'error',
      exitCode: 1,
      error: 'no images found in /dls/i04/data',
    });
    await until(() => received.completed.length === 1);
    expect(received.failure).toEqual(['no images found in /dls/i04/data']);
    await until(() => statuses.some((status) => status.status === 7));
    expect(statuses.at(-1)).toMatchObject({ status: 7, statustext: 'error' });
  });

  it('lets a wrapper report starting with a job id, put it in its status, and choose its outcome', async () => {
    class ClusterJob extends BaseWrapper {
      jobId = 0;
      override async starting(): Promise<unknown> {
        this.jobId = 31337; // a submitted job
        this.status.setStaticField('cluster_job_id', this.jobId);
        return { message: 'Starting processing', job_id: this.jobId };
      }
      run(): WrapperRunResult {
        return { success: false, payload: { job_id: this.jobId, state: 'TIMEOUT' }, exitCode: 3 };
      }
    }
    const report = await runWrapper({ wrapper: ClusterJob, transport, recipeWrapper: step(), logger });
    expect(report).toMatchObject({ outcome: 'failure', exitCode: 3 });
    await until(() => received.completed.length === 1);
    expect(received.starting).toEqual([{ message: 'Starting processing', job_id: 31337 }]);
    expect(received.failure).toEqual([{ job_id: 31337, state: 'TIMEOUT' }]);
    expect(statuses.find((status) => status.status === 4)).toMatchObject({ cluster_job_id: 31337 });
  });

  it('stops a wrapper that ignores its signal after the stop timeout, reporting a failure', async () => {
    class Stubborn extends BaseWrapper {
      run(): Promise<boolean> {
        return new Promise(() => undefined);
      }
    }
    const stop = new AbortController();
    setTimeout(() => stop.abort('SIGTERM'), 100);
    const report = await runWrapper({
      wrapper: Stubborn,
      transport,
      recipeWrapper: step(),
      logger,
      signal: stop.signal,
      stopTimeout: 0.2,
    });
    expect(report).toMatchObject({ success: false, outcome: 'stopped', exitCode: 1 });
    await until(() => received.completed.length === 1);
    expect(received.failure).toEqual([
      'Processing stopped by SIGTERM; the wrapper did not return within 0.2 s',
    ]);
  });

  it('runs the dummy wrapper as Python does, its task "still running" half way', async () => {
    const first = RECIPE['1'] as Record<string, unknown>;
    const dummy: RecipeDocument = { ...RECIPE, '1': { ...first, parameters: { seconds: 0.3 } } };
    const report = await runWrapper({
      wrapper: 'dummy',
      transport,
      recipeWrapper: RecipeWrapper.fromMessage(
        { recipe: dummy, 'recipe-pointer': 1, payload: null },
        transport,
      ),
      logger,
      statusInterval: 0.05,
    });
    expect(report).toMatchObject({ outcome: 'success', task: 'dummy (lysozyme) (still running)' });
    expect(statuses.some((status) => status.task === 'dummy (lysozyme) (still running)')).toBe(true);
    expect(DummyWrapper.name).toBe('DummyWrapper');
  });

  it('reads the recipe wrapper file, or says what is wrong with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-rw-'));
    writeFileSync(
      join(dir, 'rw.json'),
      JSON.stringify({ recipe: RECIPE, 'recipe-pointer': 1, environment: { ID: 'f' }, payload: 1 }),
    );
    writeFileSync(join(dir, 'bad.json'), '{"recipe":');
    const report = await runWrapper({
      wrapper: Integrator,
      transport,
      recipeWrapperFile: join(dir, 'rw.json'),
      logger,
    });
    expect(report.success).toBe(true);
    await expect(
      runWrapper({ wrapper: Integrator, transport, recipeWrapperFile: join(dir, 'bad.json'), logger }),
    ).rejects.toThrow(RecipeWrapperFileError);
    await expect(
      runWrapper({ wrapper: Integrator, transport, recipeWrapperFile: join(dir, 'none.json'), logger }),
    ).rejects.toThrow(`recipe wrapper file ${join(dir, 'none.json')}: cannot be read (ENOENT)`);
  });
});

describe('wrappers by name', () => {
  function scratchProject(): string {
    const root = mkdtempSync(join(tmpdir(), 'zocalo-wrappers-'));
    const files: Record<string, string | object> = {
      'package.json': { name: 'site' },
      'node_modules/@site/xia2/package.json': {
        name: '@site/xia2',
        main: 'index.cjs',
        zocalo: { wrappers: { xia2: 'Xia2Wrapper', broken: './gone.cjs:X', number: 'notAWrapper' } },
      },
      'node_modules/@site/xia2/index.cjs': `
        const { BaseWrapper } = require(${JSON.stringify(join(__dirname, '..', 'src'))});
        exports.Xia2Wrapper = class Xia2Wrapper extends BaseWrapper { run() { return true; } };
        exports.notAWrapper = 7;`,
      'node_modules/legacy/package.json': {
        name: 'legacy',
        zocalo: { 'zocalo.wrappers': { fast_dp: './w.cjs:make' } },
      },
      'node_modules/legacy/w.cjs': `
        const { BaseWrapper } = require(${JSON.stringify(join(__dirname, '..', 'src'))});
        exports.make = (context) => new (class extends BaseWrapper { run() { return false; } })(context);`,
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
    }
    return root;
  }

  it('lists installed wrappers and the built-ins, and runs one by name', async () => {
    const search = { cwd: scratchProject() };
    expect(knownWrappers(search).map((known) => `${known.name} ${known.packageName}`)).toEqual([
      'broken @site/xia2',
      'command @zocalo/wrapper',
      'dummy @zocalo/wrapper',
      'fast_dp legacy',
      'number @site/xia2',
      'slurm @zocalo/wrapper',
      'xia2 @site/xia2',
    ]);
    expect(
      await runWrapper({ wrapper: 'xia2', transport, recipeWrapper: step(), logger, search }),
    ).toMatchObject({
      outcome: 'success',
      task: 'xia2 (lysozyme)',
    });
    expect(await runWrapper({ wrapper: 'fast_dp', transport, logger, search })).toMatchObject({
      outcome: 'failure',
    });
  });

  it('names the known wrappers for an unknown name, and the package of one that fails to load', async () => {
    const search = { cwd: scratchProject() };
    await expect(loadWrapper('xia3', search)).rejects.toThrow(UnknownWrapperError);
    await expect(loadWrapper('xia3', search)).rejects.toThrow(
      'unknown wrapper "xia3": known wrappers are broken, command, dummy, fast_dp, number, slurm, xia2 (zocalo wrap --list)',
    );
    await expect(loadWrapper('broken', search)).rejects.toThrow(PluginLoadError);
    await expect(loadWrapper('broken', search)).rejects.toThrow(
      /^the wrapper "broken" of package @site\/xia2 .* cannot be loaded: importing .*gone\.cjs failed/,
    );
    await expect(loadWrapper('number', search)).rejects.toThrow(/@site\/xia2 .*its export is not a wrapper/);
    // Nothing was sent for them.
    expect(statuses).toEqual([]);
  });

  it('keeps the zocalo status version equal to the package version', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(ZOCALO_VERSION).toBe(pkg.version);
    expect(extendedStatusFields({ JOB_ID: '12', SGE_CELL: 'dls', SLURM_JOB_ID: '99' })).toEqual({
      zocalo: ZOCALO_VERSION,
      cluster_JOB_ID: '12',
      cluster_SGE_CELL: 'dls',
      cluster_SLURM_JOB_ID: '99',
    });
  });
});
