// The tests start services as child processes (node --import tsx on the TypeScript sources, so no
// build is needed) and talk to the real brokers; one file at a time keeps two cores from starving them.
module.exports = { ...require('../../jest.config.base.cjs'), maxWorkers: 1, testTimeout: 30000 };
