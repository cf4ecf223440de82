import { countSpots, runPipeline } from '../src/pipeline';

describe('example pipeline', () => {
  it('carries every image from producer through worker to collector on memory', async () => {
    const lines: string[] = [];
    const results = await runPipeline({
      images: 4,
      prefix: 'example.test',
      print: (line) => lines.push(line),
    });
    expect(results.map((r) => r.frame)).toEqual([1, 2, 3, 4]);
    for (const result of results) expect(result.spots).toBe(countSpots(result));
    expect(lines.filter((line) => line.startsWith('producer'))).toHaveLength(4);
    expect(lines.filter((line) => line.startsWith('worker'))).toHaveLength(4);
    expect(lines.filter((line) => line.startsWith('collector'))).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/^done: 4 images through memory/);
  });
});
