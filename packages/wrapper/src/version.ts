/**
 * The version sent as `zocalo` in a wrapper's status broadcasts (python-zocalo sends its own
 * version there). Kept equal to the `version` of packages/wrapper/package.json by a test.
 */
export const ZOCALO_VERSION = '0.1.0';
