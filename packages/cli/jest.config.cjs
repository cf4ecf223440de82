// The command-line tests run the built `zocalo` bin (dist/bin.js) as a child process: the global
// setup builds it (and the workspace packages it loads) when their sources are newer than their builds.
module.exports = {
  ...require('../../jest.config.base.cjs'),
  globalSetup: '<rootDir>/test/global-setup.cjs',
  testTimeout: 60000,
};
