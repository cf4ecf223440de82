/**
 * `zocalo completion bash|zsh` (#22): the script is loaded into a real bash, which is then asked to
 * complete command lines as it would at a TAB, by calling the completion function with COMP_WORDS.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../src';
import { captureIo, tempDirectory } from './helpers';

async function script(shell: string): Promise<string> {
  const io = captureIo();
  expect(await runCli(['node', 'zocalo', 'completion', shell], io)).toBe(0);
  return io.out.join('');
}

/** What bash offers after `words` (the last is the word being completed, '' for a new one). */
function complete(file: string, words: readonly string[]): string[] {
  const array = words.map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ');
  const out = execFileSync(
    'bash',
    [
      '-c',
      `source '${file}'; COMP_WORDS=(zocalo ${array}); COMP_CWORD=${words.length}; _zocalo; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter((line) => line !== '');
}

describe('zocalo completion', () => {
  const dir = tempDirectory();
  const bash = join(dir, 'zocalo.bash');
  beforeAll(async () => writeFileSync(bash, await script('bash')));

  it('completes commands, subcommands and options, hidden transport flags included', () => {
    expect(complete(bash, ['dl'])).toEqual(['dlq']);
    expect(complete(bash, ['d'])).toEqual(['dashboard', 'dlq']);
    expect(complete(bash, [''])).toEqual(
      expect.arrayContaining(['go', 'service', 'dlq', 'completion', '--help']),
    );
    expect(complete(bash, ['dlq', ''])).toEqual(expect.arrayContaining(['check', 'purge', 'reinject']));
    expect(complete(bash, ['dlq', 'check', '--js'])).toEqual(['--json']);
    expect(complete(bash, ['go', 'double', '--stomp-h'])).toEqual(['--stomp-host']);
    expect(complete(bash, ['go', '-p', 'x=1', '--dry'])).toEqual(['--dry-run']);
  });

  it('completes transport names after -t and installed services after zocalo service', () => {
    expect(complete(bash, ['go', '-t', ''])).toEqual(
      expect.arrayContaining(['memory', 'stomp', 'amqp', 'pika']),
    );
    expect(complete(bash, ['service', 'Disp'])).toEqual(['Dispatcher']);
    expect(complete(bash, ['service', 'Sch'])).toEqual(['Schlockmeister']);
  });

  it('for zsh, wraps the same function in bashcompinit', async () => {
    const zsh = await script('zsh');
    expect(zsh.startsWith('#compdef zocalo\n')).toBe(true);
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh).toContain('complete -o default -F _zocalo zocalo');
    const io = captureIo();
    expect(await runCli(['node', 'zocalo', 'completion', 'fish'], io)).toBe(2);
  });
});
