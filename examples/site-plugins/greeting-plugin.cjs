// A configuration plugin: a site configuration block `plugin: greeting` is checked against its
// schema and activated through it; what activate() returns is `configuration.plugins.greeting`.
// CommonJS, so that the (synchronous) configuration loader can require it on any Node 20.

/** @type {import('@zocalo/configuration').ConfigurationPlugin} */
module.exports.greetingPlugin = {
  schema: {
    type: 'object',
    required: ['plugin', 'greeting'],
    properties: { greeting: { type: 'string', minLength: 1 } },
  },
  activate(block) {
    return { greeting: block.greeting };
  },
};
