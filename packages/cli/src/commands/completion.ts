/**
 * `zocalo completion bash|zsh`: a shell completion script made from the command tree itself (every
 * command, subcommand and option, hidden transport flags included), so it never falls behind the
 * commands. Transport names complete after `-t`, installed services after `zocalo service`, and file
 * names wherever nothing else fits. zsh runs the same function through its `bashcompinit`.
 */
import type { Command } from 'commander';
import { Argument } from 'commander';
import type { EntryPointSearch } from '@zocalo/workflows';
import { knownTransports } from '@zocalo/configuration';
import type { CliIo } from '../io';
import { knownServices } from '../services';

interface Node {
  readonly path: string;
  readonly words: string[];
}

/** Each command path (`dlq check`) with what may follow it: its subcommands and its options. */
function walk(command: Command, prefix: string, out: Node[]): void {
  const words = [
    ...command.commands.map((sub) => sub.name()),
    ...command.options.flatMap((option) => [option.short, option.long].filter((flag) => flag !== undefined)),
  ];
  if (prefix === '') words.push('--help', '--version');
  else if (!words.includes('--help')) words.push('--help');
  out.push({ path: prefix, words });
  for (const sub of command.commands) walk(sub, prefix === '' ? sub.name() : `${prefix} ${sub.name()}`, out);
}

/** A word as a literal inside the script's double quotes. */
function quoted(word: string): string {
  return word.replace(/[\\"$`]/g, (char) => `\\${char}`);
}

/** The bash completion function for `program`, complete with `complete -F`. */
export function bashCompletion(program: Command, services: readonly string[]): string {
  const nodes: Node[] = [];
  walk(program, '', nodes);
  const paths = nodes.filter((node) => node.path !== '').map((node) => `"${quoted(node.path)}"`);
  const cases = nodes
    .map((node) => `    "${quoted(node.path)}") words="${node.words.map(quoted).join(' ')}" ;;`)
    .join('\n');
  const transports = knownTransports()
    .flatMap((descriptor) => [descriptor.name, ...(descriptor.aliases ?? [])])
    .map(quoted)
    .join(' ');
  return `# zocalo completion (bash): made by \`zocalo completion bash\`; load it with
#   source <(zocalo completion bash)     or put it in /etc/bash_completion.d/zocalo
_zocalo() {
  local cur prev path candidate words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *)
        candidate="\${path:+$path }\${COMP_WORDS[i]}"
        case "$candidate" in
          ${paths.join('|')}) path="$candidate" ;;
        esac
        ;;
    esac
  done
  case "$prev" in
    -t|--transport) COMPREPLY=($(compgen -W "${transports}" -- "$cur")); return ;;
  esac
  if [[ "$path" == "service" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "${services.map(quoted).join(' ')}" -- "$cur"))
    [[ \${#COMPREPLY[@]} -gt 0 ]] && return
  fi
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _zocalo zocalo
`;
}

export function registerCompletion(program: Command, io: CliIo, search: () => EntryPointSearch): void {
  program
    .command('completion')
    .summary('print a shell completion script')
    .description(
      'Print a completion script for bash or zsh: commands, subcommands, options, transport names ' +
        'after -t and installed services after `zocalo service`.',
    )
    .addArgument(new Argument('[shell]', 'the shell').choices(['bash', 'zsh']).default('bash'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ source <(zocalo completion bash)            # this shell; or add it to ~/.bashrc',
        '  $ zocalo completion bash > /etc/bash_completion.d/zocalo',
        '  $ echo \'eval "$(zocalo completion zsh)"\' >> ~/.zshrc',
      ].join('\n'),
    )
    .action(async (shell: 'bash' | 'zsh') => {
      // The whole command tree, whichever commands this command line loaded.
      const { COMMAND_NAMES, createProgram } = await import('../program');
      const full = await createProgram(io, {}, COMMAND_NAMES);
      const services = knownServices(search()).map((entry) => entry.name);
      const script = bashCompletion(full, services);
      io.stdout(
        shell === 'bash'
          ? script
          : `#compdef zocalo\n# zocalo completion (zsh), through bash's completion function\nautoload -U +X bashcompinit && bashcompinit\n${script}`,
      );
    });
}
