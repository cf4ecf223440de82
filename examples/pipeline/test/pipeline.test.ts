import { MemoryBroker, MemoryTransport } from '@zocalo/workflows';
import { runPipeline } from '../src/pipeline';
import { countSpots } from '../src/services';

describe('example recipe pipeline on memory', () => {
  it('routes every frame by its named output, fans hits out to the monitor, and tags hops', async () => {
    const broker = new MemoryBroker();
    const lines: string[] = [];
    const result = await runPipeline({
      transport: async () => new MemoryTransport({ broker }),
      prefix: 'example.test',
      print: (line) => lines.push(line),
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
    // Nothing left behind on any queue.
    for (const queue of broker.queueNames()) expect(broker.stats(queue).depth).toBe(0);
  });
});
