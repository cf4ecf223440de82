/** Typed errors of @zocalo/dispatcher. */
import { ZocaloError } from '@zocalo/workflows';

/**
 * A request the Dispatcher will not process: its message says why, in python-zocalo's words where
 * it has them. The request is rejected (nack, which dead-letters it) and the message logged.
 */
export class DispatchError extends ZocaloError {}
