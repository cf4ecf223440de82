/** Host and port lists of broker settings (`--stomp-host a,b --stomp-port 61613`), shared by transports. */
import { TransportConfigError } from './errors';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

/** The option names to quote in errors, e.g. `{ transport: 'stomp', hostFlag: '--stomp-host', ... }`. */
export interface BrokerAddressNames {
  readonly transport: string;
  readonly hostFlag: string;
  readonly portFlag: string;
}

function list(value: string | number | readonly (string | number)[]): string[] {
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * Pair hosts with ports as python-workflows does: comma-separated lists (or arrays); one port serves
 * all hosts, otherwise one port per host. The order is kept; a transport may shuffle it.
 */
export function pairBrokerAddresses(
  host: string | readonly string[],
  port: number | string | readonly number[],
  names: BrokerAddressNames,
): BrokerAddress[] {
  const hosts = list(host);
  const ports = list(port).map((text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new TransportConfigError(
        `${names.transport} transport: invalid port "${text}" in ${names.portFlag}`,
      );
    }
    return value;
  });
  if (hosts.length === 0)
    throw new TransportConfigError(`${names.transport} transport: ${names.hostFlag} is empty`);
  if (ports.length === 0)
    throw new TransportConfigError(`${names.transport} transport: ${names.portFlag} is empty`);
  if (ports.length !== 1 && ports.length !== hosts.length) {
    throw new TransportConfigError(
      `${names.transport} transport: ${hosts.length} host(s) but ${ports.length} ports; ` +
        `give one port, or one port per host`,
    );
  }
  return hosts.map((name, index) => ({ host: name, port: ports.length === 1 ? ports[0] : ports[index] }));
}

/** @deprecated Use {@link pairBrokerAddresses}; the transports' own `brokerAddresses` differ (AMQP shuffles). */
export const brokerAddresses = pairBrokerAddresses;

/** `host:port` for people, an IPv6 host in brackets (`[::1]:5672`). */
export function formatBrokerAddress(address: BrokerAddress): string {
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
