/** Typed errors of @zocalo/dispatcher. */
import { PermanentError } from '@zocalo/workflows';

/**
 * A request the Dispatcher will not process: its message says why, in python-zocalo's words where
 * it has them. The request is rejected (nack, which dead-letters it) and the message logged. It is a
 * {@link PermanentError}: one that escapes a handler has the runtime dead-letter the request too.
 */
export class DispatchError extends PermanentError {}
