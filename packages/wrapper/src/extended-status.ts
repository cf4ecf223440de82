/**
 * The extra status fields of a process (python-zocalo's `extended_status_dictionary`): the Zocalo
 * version, and the cluster job it runs as, read from the scheduler's environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZOCALO_VERSION } from './version';

/**
 * `zocalo` (the version); under Grid Engine `cluster_JOB_ID` and `cluster_SGE_CELL` (checked against
 * the job's spool configuration when it can be read), as python-zocalo; under Slurm
 * `cluster_SLURM_JOB_ID` (not in python-zocalo, named the same way).
 */
export function extendedStatusFields(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const fields: Record<string, string> = { zocalo: ZOCALO_VERSION };
  if (env.JOB_ID) {
    fields.cluster_JOB_ID = env.JOB_ID;
    if (env.SGE_CELL) fields.cluster_SGE_CELL = env.SGE_CELL;
    if (env.SGE_JOB_SPOOL_DIR) {
      try {
        const config = readFileSync(join(env.SGE_JOB_SPOOL_DIR, 'config'), 'utf8');
        const cell = config.split('\n').find((line) => line.toUpperCase().startsWith('SGE_CELL='));
        if (cell !== undefined) fields.cluster_SGE_CELL = cell.slice('SGE_CELL='.length);
      } catch {
        // An unreadable spool directory: keep what the environment says.
      }
    }
  }
  if (env.SLURM_JOB_ID) fields.cluster_SLURM_JOB_ID = env.SLURM_JOB_ID;
  return fields;
}
