import type { Logger } from '@zocalo/workflows';
import { MemoryBroker, MemoryTransport, ServiceState, stateText } from '@zocalo/workflows';
import { runPipeline } from '../src/pipeline';
import { countSpots } from '../src/services';

const END = stateText(ServiceState.END);

/** The services log to it; nothing is printed. */
function quietLogger(): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}

describe('example recipe pipeline on memory', () => {
  it('routes every frame by its named output, fans hits out to the monitor, and tags hops', async () => {
    const broker = new MemoryBroker();
    const lines: string[] = [];
    const logger = quietLogger();
    const result = await runPipeline({
      transport: async () => new MemoryTransport({ broker, logger }),
      prefix: 'example.test',
      print: (line) => lines.push(line),
      logger,
    });
    expect(result.outcomes.map((o) => o.frame)).toEqual([1, 2, 3, 4, 5]);
    for (const outcome of result.outcomes) {
      expect(outcome.spots).toBe(countSpots(outcome));
      expect(outcome.route).toBe(outcome.spots >= 50 ? 'indexed' : 'skipped');
    }
    const indexed = result.outcomes.filter((o) => o.route === 'indexed').map((o) => o.frame);
    expect(indexed.length).toBeGreaterThan(0);
    expect(indexed.length).toBeLessThan(5);
    expect(result.monitored).toEqual(indexed);
    // Every hop line carries the recipe ID.
    const tag = `[${result.recipeId.slice(0, 8)}]`;
    expect(lines.every((line) => line.startsWith(tag))).toBe(true);
    expect(lines.filter((line) => / step 1 find spots/.test(line))).toHaveLength(5);
    expect(lines.filter((line) => / step 5 collect/.test(line))).toHaveLength(5);
    expect(lines.at(-1)).toMatch(/done on memory: 5 images/);
    // Five services, run by the service runtime, which counted their messages and ended them cleanly.
    const hits = indexed.length;
    expect(result.services).toEqual([
      { name: 'Find spots', messagesIn: 5, messagesOut: 5 + hits, messagesFailed: 0, state: END },
      { name: 'Index', messagesIn: hits, messagesOut: hits, messagesFailed: 0, state: END },
      { name: 'Monitor', messagesIn: hits, messagesOut: 0, messagesFailed: 0, state: END },
      { name: 'Skip', messagesIn: 5 - hits, messagesOut: 5 - hits, messagesFailed: 0, state: END },
      { name: 'Collect', messagesIn: 5, messagesOut: 0, messagesFailed: 0, state: END },
    ]);
    // Nothing left behind on any queue.
    for (const queue of broker.queueNames()) expect(broker.stats(queue).depth).toBe(0);
  });
});
