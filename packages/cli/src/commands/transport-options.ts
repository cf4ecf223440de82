/**
 * `zocalo help transport-options`: the flags of every installed transport (`--stomp-*`,
 * `--rabbit-*`, a third party's), which every broker command accepts but does not list in its own
 * help, where they would double its length.
 */
import type { Command } from 'commander';
import { transportOptions } from '../site';
import { transportChoices } from '../transport-packages';

export function registerTransportOptions(program: Command): void {
  const topic = program
    .command('transport-options')
    .summary('the broker options every broker command takes (a help topic)')
    .description(
      `Every command that talks to a broker takes -t/--transport (${transportChoices()}) and the ` +
        "options of each transport below, over the site configuration's settings (file < INI file < " +
        'option). Without -t the transport is $ZOCALO_TRANSPORT, else the one the site configuration ' +
        '(--config or $ZOCALO_CONFIG) chooses, else stomp; each command says which on stderr.',
    );
  for (const option of transportOptions()) topic.addOption(option);
  topic.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ zocalo go double -p value=3 -t amqp --rabbit-host rmq1,rmq2 --rabbit-vhost zocalo',
      '  $ zocalo dlq check -t stomp --stomp-conf /etc/zocalo/stomp.ini',
      '  $ ZOCALO_TRANSPORT=amqp zocalo status',
    ].join('\n'),
  );
  topic.action(() => topic.outputHelp());
}
