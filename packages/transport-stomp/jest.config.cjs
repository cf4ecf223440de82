// One test file at a time: reconnect.test.ts restarts the shared ActiveMQ, which would break the
// connections of any other file running at the same moment.
module.exports = { ...require('../../jest.config.base.cjs'), maxWorkers: 1 };
