/**
 * A service run by the runtime of @zocalo/workflows with the configuration's logger: every record of
 * a message carries `service`, `host` and `recipe_ID` exactly once, with the runtime's values.
 */
import {
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  ServiceRuntime,
  ServiceState,
  defineService,
} from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { createLogger, loadConfiguration } from '../src';
import { memoryDestination } from './helpers';

/** How often each key occurs at the top level of a JSON line (JSON.parse would hide duplicates). */
function keyCounts(line: string): Map<string, number> {
  const counts = new Map<string, number>();
  let depth = 0;
  // Walk the line's top-level keys: a string followed by ':' at depth 1.
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      if (depth === 1 && line[end + 1] === ':') {
        const key = JSON.parse(line.slice(i, end + 1)) as string;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      i = end;
    } else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') depth--;
  }
  return counts;
}

describe('log records of a service message', () => {
  it('counts keys of a JSON line, duplicates included', () => {
    expect(keyCounts('{"a":1,"b":{"a":2},"c":"x\\"a\\":","a":3}')).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ]),
    );
  });

  it('the logger alone binds service and host once each', () => {
    const destination = memoryDestination();
    createLogger({ service: 'zocalo-service', host: 'ws001', destination }).info({}, 'hello');
    const counts = keyCounts(destination.lines[0]);
    expect(counts.get('service')).toBe(1);
    expect(counts.get('host')).toBe(1);
    expect(destination.records()[0]).toMatchObject({ service: 'zocalo-service', host: 'ws001' });
  });

  it('carry service, host and recipe_ID once each, from the runtime, under the configuration logger', async () => {
    const destination = memoryDestination();
    const configuration = loadConfiguration({ env: {}, logger: new RecordingLogger() });
    // What `zocalo service` does: a logger named after the command, handed to the runtime.
    const logger = configuration.createLogger({ service: 'service', host: 'ws001', destination });
    const broker = new MemoryBroker();
    let handled = 0;
    const service = defineService({
      name: 'Logging',
      initializing: async (ctx) => {
        await ctx.subscribe('work', (msg) => {
          msg.logger.info({ step: 1 }, 'handling');
          handled++;
          if (handled === 1) throw new Error('passing fault');
        });
      },
    });
    const runtime = new ServiceRuntime(service, {
      transport: new MemoryTransport({ broker, logger: new RecordingLogger() }),
      logger,
      hostId: 'uk.ac.diamond.ws001.4711',
      commandTopic: false,
      redeliveryBackoff: false,
    });
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE, 5000);
    const client = new MemoryTransport({ broker, logger: new RecordingLogger() });
    await client.connect();
    await client.send('work', {
      recipe: { 1: { service: 'Logging', queue: 'work' } },
      'recipe-pointer': 1,
      environment: { ID: 'c0ffee-recipe' },
      payload: {},
    });
    await until(() => handled === 2, 5000);
    runtime.stop();
    await running;
    await client.disconnect();

    const messageLines = destination.lines.filter((line) => line.includes('c0ffee-recipe'));
    // Two "handling" records and the handler's failure.
    expect(messageLines.length).toBeGreaterThanOrEqual(3);
    expect(messageLines.some((line) => line.includes('message handler failed'))).toBe(true);
    for (const line of destination.lines) {
      const counts = keyCounts(line);
      expect([line, counts.get('service'), counts.get('host')]).toEqual([line, 1, 1]);
    }
    for (const line of messageLines) {
      expect(keyCounts(line).get('recipe_ID')).toBe(1);
      expect(JSON.parse(line)).toMatchObject({
        service: 'Logging',
        host: 'uk.ac.diamond.ws001.4711',
        recipe_ID: 'c0ffee-recipe',
      });
    }
  });
});
