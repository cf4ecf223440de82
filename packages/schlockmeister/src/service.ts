/**
 * Schlockmeister as a Zocalo service on the service runtime (`zocalo service Schlockmeister` once the
 * command line wires it up): it works on the runtime's transport directly, because it acks/nacks its
 * catches itself and needs no transactions, and stops watching in `inShutdown()`.
 */
import type { ServiceDefinition } from '@zocalo/workflows';
import { defineService } from '@zocalo/workflows';
import type { QuarantinedMessage } from './schlockmeister';
import { Schlockmeister } from './schlockmeister';
import type { SchlockmeisterSettings } from './settings';

export interface SchlockmeisterServiceOptions extends SchlockmeisterSettings {
  readonly onQuarantine?: (caught: QuarantinedMessage) => void;
}

export function schlockmeisterService(options: SchlockmeisterServiceOptions = {}): ServiceDefinition {
  let schlockmeister: Schlockmeister | undefined;
  return defineService({
    name: 'Schlockmeister',
    async initializing(context) {
      schlockmeister = new Schlockmeister({
        ...options,
        transport: context.transport,
        logger: context.logger,
      });
      await schlockmeister.start();
    },
    async inShutdown() {
      await schlockmeister?.stop();
      schlockmeister = undefined;
    },
  });
}
