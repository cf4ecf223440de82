// One file at a time: packing, npm install and tsc each take a core of a two-core machine.
module.exports = { ...require('../../jest.config.base.cjs'), maxWorkers: 1, testTimeout: 120000 };
