/**
 * Shutdown commands, as python-zocalo's `zocalo.shutdown` sends them and python-workflows' frontend
 * reads them: a broadcast on the topic `command` of `{"command": "shutdown", "host": <unique host
 * id>}` or `{"command": "shutdown", "service": <service class>}`. A command is for this service only
 * if it names at least one of host and service, and every one it names matches.
 */

/** The broadcast topic services listen on for commands. */
export const COMMAND_TOPIC = 'command';

/** Who this runtime is, for matching a command's address. */
export interface CommandAddressee {
  readonly host: string;
  /** Python matches the service class; a TypeScript service is also addressed by its name. */
  readonly serviceNames: readonly string[];
}

/** What a command message means for this service. */
export type CommandVerdict =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'unknown'; readonly command: unknown }
  | { readonly kind: 'invalid' };

export function readCommand(message: unknown, self: CommandAddressee): CommandVerdict {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return { kind: 'ignore' };
  const command = message as Record<string, unknown>;
  let addressed = false;
  if ('host' in command) {
    if (command.host !== self.host) return { kind: 'ignore' };
    addressed = true;
  }
  if ('service' in command) {
    if (typeof command.service !== 'string' || !self.serviceNames.includes(command.service)) {
      return { kind: 'ignore' };
    }
    addressed = true;
  }
  if (!addressed) return { kind: 'ignore' };
  if (!command.command) return { kind: 'invalid' };
  if (command.command === 'shutdown') return { kind: 'shutdown' };
  return { kind: 'unknown', command: command.command };
}
