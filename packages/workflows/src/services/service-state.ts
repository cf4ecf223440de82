/** Human-readable texts of the service states (services.md), as sent in `statustext`. */
import type { ServiceStateValue } from '../transport';
import { ServiceState } from '../transport';

const TEXT: Readonly<Record<ServiceStateValue, string>> = {
  [ServiceState.NONE]: 'no service loaded',
  [ServiceState.TEARDOWN]: 'shutdown',
  [ServiceState.NEW]: 'constructing',
  [ServiceState.STARTING]: 'starting',
  [ServiceState.IDLE]: 'idle',
  [ServiceState.TIMER]: 'timer event',
  [ServiceState.PROCESSING]: 'processing',
  [ServiceState.SHUTDOWN]: 'shutting down',
  [ServiceState.END]: 'shutdown',
  [ServiceState.ERROR]: 'error',
};

/** The `statustext` of a state: `stateText(ServiceState.IDLE) === 'idle'`. */
export function stateText(state: ServiceStateValue): string {
  return TEXT[state];
}
