/**
 * `zocalo recipe validate` reports every problem of every file (#22): a JSON syntax error as
 * file:line:column, every schema problem and step without a destination after the first broken
 * Python rule, which step points at a missing one; exit 1 for invalid content, 2 for a file it cannot
 * read (after checking the others), 0 when all are valid.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../src';
import { captureIo, tempDirectory } from './helpers';

async function validate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(['node', 'zocalo', 'recipe', 'validate', ...args], io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

const dir = tempDirectory();
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const broken = file('broken.json', '{\n  "1": {"queue": "a"},\n  "start": [[1, []]\n}');
const several = file(
  'several.json',
  JSON.stringify({
    '1': { queue: 'a', output: 2, 'transport-delay': -1 },
    '2': { parameters: 'not an object', output: [5] },
    start: [[1, []]],
  }),
);
const good = file('good.json', JSON.stringify({ '1': { queue: 'a' }, start: [[1, []]] }));

describe('zocalo recipe validate', () => {
  it('goes on past a JSON syntax error, given as file:line:column, and lists every problem of a file', async () => {
    const result = await validate(broken, several, good);
    expect(result.code).toBe(1);
    expect(result.out.split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:1: Invalid recipe: not valid JSON at line 4, column 1 \\(`,
        ),
      ),
      `${several}: Invalid recipe: Node "5" is referenced via "['start', 1, 2]" but missing: step 2's "output" points at it, and the recipe has no step 5`,
      `${several}: Invalid recipe: step 1 "transport-delay" must be >= 0`,
      `${several}: Invalid recipe: step 2 "parameters" must be object`,
      `${several}: Invalid recipe: Node "2" has neither "queue" nor "topic", so messages sent to it would go nowhere`,
      `${good}: valid (1 step)`,
      '',
    ]);
    expect(result.err).toBe('zocalo recipe validate: 2 of 3 recipe files are invalid\n');
  });

  it("--python: python-workflows' first message, in its words", async () => {
    const result = await validate('--python', several);
    expect(result).toEqual({
      code: 1,
      out: `${several}: Invalid recipe: Node "5" is referenced via "['start', 1, 2]" but missing\n`,
      err: 'zocalo recipe validate: 1 of 1 recipe file is invalid\n',
    });
  });

  it('a file it cannot read: said, the others still checked, exit 2', async () => {
    const missing = join(dir, 'missing.json');
    const result = await validate(missing, good);
    expect(result).toEqual({
      code: 2,
      out: `${good}: valid (1 step)\n`,
      err: `zocalo recipe validate: cannot read ${missing}: ENOENT\n`,
    });
    expect(await validate(good)).toEqual({ code: 0, out: `${good}: valid (1 step)\n`, err: '' });
  });
});
