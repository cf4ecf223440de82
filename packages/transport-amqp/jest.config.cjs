// One test file at a time: reconnect.test.ts restarts RabbitMQ, which would break files running beside it.
module.exports = { ...require('../../jest.config.base.cjs'), maxWorkers: 1 };
