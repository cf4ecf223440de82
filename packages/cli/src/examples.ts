/**
 * The examples at the end of each command's help: two or three command lines a newcomer can adapt.
 * Kept in one table so that they read alike; `examples.test.ts` checks that each names only existing
 * commands and options.
 */
import type { Command } from 'commander';

export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  go: [
    'zocalo go double -p value=3 -t memory --dry-run      # print the request, send nothing',
    'zocalo go -f my-recipe.json -p dcid:=1234 --config site.yml -e live',
    'zocalo go processing -p ispyb_dcid:=5678 -q          # print only the recipe ID',
  ],
  pickup: [
    'zocalo pickup --dry-run                              # list the stored requests',
    'zocalo pickup --dir /dls/tmp/zocalo/dropfiles -d 0.5',
  ],
  service: [
    'zocalo service --list',
    'zocalo service Dispatcher -s zocalo.recipe_directory=./recipes --config site.yml',
    'zocalo service ./my-service.ts -t memory             # a TypeScript file, through tsx',
  ],
  wrap: [
    'zocalo wrap --list',
    'zocalo wrap --wrap dummy --recipewrapper step.json -t amqp',
    'zocalo wrap --wrap command --recipewrapper step.json -- ./process.sh',
  ],
  shutdown: ['zocalo shutdown -s Dispatcher --config site.yml', 'zocalo shutdown uk.ac.diamond.ws123.4567'],
  dashboard: [
    'zocalo dashboard --config site.yml                   # then open http://127.0.0.1:8880',
    'ZOCALO_DASHBOARD_TOKEN=s3cret zocalo dashboard --host 0.0.0.0 --config site.yml',
  ],
  status: [
    'zocalo status                                       # live, until Ctrl-C',
    'zocalo status --once --json --wait 7',
  ],
  'recipe validate': [
    'zocalo recipe validate recipes/*.json',
    'zocalo recipe validate --python my-recipe.json',
  ],
  'recipe graph': [
    'zocalo recipe graph my-recipe.json > graph.mmd',
    'zocalo recipe graph --format dot my-recipe.json | dot -Tsvg > graph.svg',
  ],
  'dlq check': ['zocalo dlq check -t stomp', 'zocalo dlq check processing_recipe --json -t amqp'],
  'dlq purge': ['zocalo dlq purge processing_recipe --location /tmp/DLQ -t amqp'],
  'dlq reinject': [
    'zocalo dlq reinject --dry-run DLQ/*/msg-*',
    'zocalo dlq purge q --location /tmp/DLQ | zocalo dlq reinject -r',
  ],
  'queue drain': ['zocalo queue drain scratch.queue processing_recipe --rate 20/s -t stomp'],
  'rabbitmq configure': [
    'zocalo rabbitmq configure rabbitmq.yml --dry-run --config site.yml',
    'zocalo rabbitmq configure rabbitmq.yml --user-config users/ --prune',
  ],
};

/** Add the examples of {@link EXAMPLES} to the help of each command of `program` that has some. */
export function addExamples(program: Command): void {
  const visit = (command: Command, path: string): void => {
    const lines = EXAMPLES[path];
    if (lines !== undefined) {
      command.addHelpText('after', ['', 'Examples:', ...lines.map((line) => `  $ ${line}`)].join('\n'));
    }
    for (const sub of command.commands) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  visit(program, '');
}
