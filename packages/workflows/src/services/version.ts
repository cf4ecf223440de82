/**
 * The library version sent as `workflows` in every status broadcast. Kept equal to the `version` of
 * packages/workflows/package.json by a test (test/services/version.test.ts).
 */
export const WORKFLOWS_VERSION = '0.1.0';
