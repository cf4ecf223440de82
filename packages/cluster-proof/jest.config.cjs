// The fault tests kill broker nodes of scripts/cluster.sh: one file at a time, never alongside another.
module.exports = {
  ...require('../../jest.config.base.cjs'),
  testMatch: ['<rootDir>/test/**/*.cluster.test.ts'],
  maxWorkers: 1,
  testSequencer: '<rootDir>/test/sequencer.cjs',
  testTimeout: 120000,
};
