/** The real Slurm of scripts/slurm.sh, a client for it, and a scratch folder the jobs write to. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SlurmTestSettings } from '@zocalo/test-brokers';
import { requireSlurm } from '@zocalo/test-brokers';
import { SlurmRestApi } from '../src';

export interface SlurmFixture {
  readonly settings: SlurmTestSettings;
  readonly api: SlurmRestApi;
  /** A folder of this test file's own, removed after it. */
  readonly dir: string;
}

/** Call at the top of a describe: fails the file (not skips) when Slurm does not answer. */
export function useSlurm(): { get(): SlurmFixture } {
  // A job waits up to a second for the scheduler; leave room for a loaded machine.
  jest.setTimeout(20_000);
  let fixture: SlurmFixture | undefined;
  beforeAll(async () => {
    const settings = await requireSlurm();
    const dir = mkdtempSync(join(tmpdir(), 'zocalo-slurm-'));
    const api = new SlurmRestApi({
      url: settings.url,
      apiVersion: settings.apiVersion,
      user: settings.user,
      tokenFile: settings.tokenFile,
    });
    fixture = { settings, api, dir };
  });
  afterAll(() => {
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
  });
  return {
    get() {
      if (!fixture) throw new Error('useSlurm: beforeAll has not run');
      return fixture;
    },
  };
}
