module.exports = { ...require('../../jest.config.base.cjs'), maxWorkers: 1 };
