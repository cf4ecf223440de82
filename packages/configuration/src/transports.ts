/**
 * The transports a site configuration knows: those registered with @zocalo/workflows (`memory`, and
 * any a plugin registered), and python-workflows' two, whose descriptors come from the light
 * `/descriptor` modules of their packages (no broker client is loaded to know them). Their blocks,
 * flags and INI sections all come from the descriptors.
 */
import type { TransportDescriptor } from '@zocalo/workflows';
import { registerTransport, transportDescriptor, transportDescriptors } from '@zocalo/workflows';
import { descriptor as amqp } from '@zocalo/transport-amqp/descriptor';
import { descriptor as stomp } from '@zocalo/transport-stomp/descriptor';

let builtIn = false;

/** Every transport descriptor, python-workflows' registered on first use (unless one of that name was). */
export function knownTransports(): TransportDescriptor[] {
  if (!builtIn) {
    builtIn = true;
    for (const descriptor of [stomp, amqp])
      if (!transportDescriptor(descriptor.name)) registerTransport(descriptor);
  }
  return transportDescriptors();
}

/** The descriptor of a transport name or alias (`pika`, `PikaTransport`), if one is known. */
export function knownTransport(name: string): TransportDescriptor | undefined {
  knownTransports();
  return transportDescriptor(name);
}
