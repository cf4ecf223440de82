/**
 * The examples at the end of each command's help name only commands and options that exist, so
 * they cannot drift from the commands (#22).
 */
import type { Command } from 'commander';
import { createProgram } from '../src';
import { EXAMPLES } from '../src/examples';
import { captureIo } from './helpers';

function find(program: Command, path: string): Command | undefined {
  let command: Command | undefined = program;
  for (const name of path.split(' ')) command = command?.commands.find((sub) => sub.name() === name);
  return command;
}

describe('the help examples', () => {
  it('every command has some, and each uses only its command and its options', async () => {
    const program = await createProgram(captureIo());
    const leaves: string[] = [];
    const visit = (command: Command, path: string): void => {
      if (command.commands.length === 0 && path !== '') leaves.push(path);
      for (const sub of command.commands) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
    };
    visit(program, '');
    const topics = new Set(['completion', 'transport-options']);
    expect(leaves.filter((path) => !topics.has(path) && EXAMPLES[path] === undefined)).toEqual([]);
    for (const [path, lines] of Object.entries(EXAMPLES)) {
      const command = find(program, path);
      expect(command).toBeDefined();
      const flags = new Set(command!.options.flatMap((option) => [option.long, option.short]));
      for (const line of lines) {
        const all = line.replace(/#.*$/, '').trim().split(/\s+/);
        // Leading environment assignments (`ZOCALO_DASHBOARD_TOKEN=… zocalo dashboard`) are the shell's.
        const words = all.slice(all.findIndex((word) => !/^[A-Z_][A-Z0-9_]*=/.test(word)));
        // `zocalo dlq purge … | zocalo dlq reinject -r`: each command of a pipe on its own.
        const own = words.slice(0, words.includes('|') ? words.indexOf('|') : words.length);
        if (!line.includes('|') || own.slice(1, 1 + path.split(' ').length).join(' ') === path) {
          expect(own.slice(0, 1 + path.split(' ').length).join(' ')).toBe(`zocalo ${path}`);
          const used = own.filter((word) => /^--?[a-z]/i.test(word)).map((word) => word.replace(/=.*$/, ''));
          expect({ line, unknown: used.filter((flag) => !flags.has(flag)) }).toEqual({ line, unknown: [] });
        }
      }
    }
  });
});
