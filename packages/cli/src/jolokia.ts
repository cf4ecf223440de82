/**
 * Which Jolokia the queue commands read ActiveMQ's queue sizes from: the `--jolokia-url*` flags (ours;
 * python-zocalo has none), else the site's `jmx` block (python-zocalo's `jmx` plugin). Neither: undefined,
 * and the commands ask the statistics plugin over STOMP as before.
 */
import type { Command } from 'commander';
import type { JmxSettings } from '@zocalo/schlockmeister';
import { Jolokia, JolokiaError, jolokiaFromJmx } from '@zocalo/schlockmeister';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
import type { Site } from './site';

/** The `--jolokia-*` options as commander parses them. */
export interface JolokiaFlags {
  readonly jolokiaUrl?: string;
  readonly jolokiaUser?: string;
  readonly jolokiaPass?: string;
}

/** Add the Jolokia options to a command. */
export function addJolokiaOptions(command: Command): Command {
  return command
    .optionsGroup('ActiveMQ Jolokia (counts):')
    .option(
      '--jolokia-url <url>',
      'Jolokia URL, e.g. http://127.0.0.1:8161/api/jolokia (default: the jmx block; neither: the statistics plugin)',
    )
    .option('--jolokia-user <user>', 'Jolokia user (default: the jmx block, or the URL)')
    .option('--jolokia-pass <password>', 'Jolokia password (default: the jmx block, or the URL)');
}

/** The Jolokia of a site and flags, or undefined when neither names one. */
export function jolokiaFor(site: Site, flags: JolokiaFlags): Jolokia | undefined {
  const jmx = site.configuration.plugins.jmx as JmxSettings | undefined;
  if (flags.jolokiaUrl === undefined && jmx === undefined) return undefined;
  const fromSite = jmx === undefined ? undefined : jolokiaFromJmx(jmx);
  try {
    return new Jolokia({
      url: flags.jolokiaUrl ?? fromSite?.url ?? '',
      // A login in the --jolokia-url wins over the jmx block's; the --jolokia-user/-pass flags over both.
      username: flags.jolokiaUser ?? (flags.jolokiaUrl === undefined ? fromSite?.username : undefined),
      password: flags.jolokiaPass ?? (flags.jolokiaUrl === undefined ? fromSite?.password : undefined),
    });
  } catch (error) {
    throw new CliError(oneLine(error), EXIT_USAGE, { cause: error });
  }
}

/** Jolokia failures as one line that says how to point elsewhere or fall back. */
export async function viaJolokia<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (error) {
    if (!(error instanceof JolokiaError)) throw error;
    throw new CliError(
      `${oneLine(error)}; fix the site's jmx block (host, port, base_url, username, password) or give ` +
        '--jolokia-url URL --jolokia-user USER --jolokia-pass PASSWORD',
      EXIT_FAILURE,
      { cause: error },
    );
  }
}
