/**
 * `zocalo shutdown`: ask running services to stop (python-zocalo's `zocalo.shutdown`), by
 * broadcasting `{"command": "shutdown", "host": <host id>}` or `{"command": "shutdown", "service":
 * <service>}` to the topic `command`. A host given as `<hostname>.<pid>` (one dot) is completed with
 * this machine's domain, reversed, as Python does.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Transport } from '@zocalo/workflows';
import { COMMAND_TOPIC } from '@zocalo/workflows';
import { CliError } from '../cli-error';
import type { CliIo } from '../io';
import { collect } from '../parameters';
import type { SiteOptions } from '../site';
import { addSiteOptions, disconnectQuietly, loadSite } from '../site';

/**
 * python-zocalo's completion of `hostname.pid`: the machine's domain parts, reversed, in front
 * (`ws123.4711` on `ws001.diamond.ac.uk` → `uk.ac.diamond.ws123.4711`).
 */
export function completeHost(host: string, machine: string = hostname()): string {
  if ((host.match(/\./g) ?? []).length !== 1) return host;
  const domain = machine.split('.').slice(1).reverse().join('.');
  return domain ? `${domain}.${host}` : host;
}

/** The shutdown commands for hosts and services (`none` addresses instances without a service). */
export function shutdownCommands(
  hosts: readonly string[],
  services: readonly string[],
): Array<Record<string, unknown>> {
  return [
    ...hosts.map((host) => ({ command: 'shutdown', host })),
    ...services.map((service) => ({
      command: 'shutdown',
      service: service.toLowerCase() === 'none' ? null : service,
    })),
  ];
}

/** Broadcast shutdown commands on a connected transport. */
export async function sendShutdown(
  transport: Transport,
  commands: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  for (const command of commands) await transport.broadcast(COMMAND_TOPIC, command);
}

interface ShutdownOptions extends SiteOptions {
  readonly host?: string[];
  readonly service?: string[];
}

export function registerShutdown(program: Command, io: CliIo): void {
  const command = program
    .command('shutdown')
    .summary('ask running services to stop, by host or by service')
    .description(
      'Ask running services to shut down gracefully: instances by host id (hostname.pid, as `zocalo status` ' +
        'shows them) or all instances of a service.',
    )
    .argument('[hosts...]', 'service instances, as host ids (uk.ac.diamond.ws123.4711) or hostname.pid')
    .option('--host <host>', 'a service instance by host id (repeatable)', collect)
    .option(
      '-s, --service <service>',
      "all instances of a service; 'none' for instances without a service (repeatable)",
      collect,
    );
  addSiteOptions(command);
  command.action(async (positional: string[], options: ShutdownOptions) => {
    const hosts = [...positional, ...(options.host ?? [])].map((host) => completeHost(host));
    const services = options.service ?? [];
    if (hosts.length === 0 && services.length === 0) {
      throw new CliError(
        'Need to specify one or more services to shut down: give --service NAME or --host HOST.PID.',
      );
    }
    const site = loadSite(io, 'zocalo.shutdown', options, undefined, { sendsAndExits: true });
    const transport = await site.connect();
    try {
      for (const message of shutdownCommands(hosts, services)) {
        await sendShutdown(transport, [message]);
        if ('host' in message) io.stdout(`Shutting down ${String(message.host)}\n`);
        else
          io.stdout(
            `Stopping all instances of ${message.service === null ? 'None' : String(message.service)}\n`,
          );
      }
    } finally {
      await disconnectQuietly(transport, site.logger);
    }
  });
}
