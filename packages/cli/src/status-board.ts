/**
 * What `zocalo status` shows: the status tracker now lives in @zocalo/workflows, shared with
 * `zocalo dashboard` (@zocalo/dashboard); re-exported here for the cli's own modules and tests.
 */
export { STATUS_AGE_LIMIT, StatusBoard, formatUtilization, watchStatus } from '@zocalo/workflows';
export type { StatusEntry } from '@zocalo/workflows';
