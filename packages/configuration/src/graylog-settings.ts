/**
 * The settings of one Graylog destination, in a module of its own: the `graylog` plugin
 * (plugins.ts), the `logging` plugin's handlers (logging-plugin.ts) and the logger all read them, and
 * plugins.ts imports logging-plugin.ts, so neither of those two can hold them without an import circle.
 */

import type { GelfFieldOptions } from './gelf';

/**
 * Where log records also go: a Graylog server speaking GELF (python-zocalo's `graylog` plugin), with
 * graypy's field options (a `logging` block's graypy handler may set them).
 */
export interface GraylogSettings extends GelfFieldOptions {
  /** `UDP` or `TCP`, as in python-zocalo. */
  readonly protocol: 'UDP' | 'TCP';
  readonly host: string;
  readonly port: number;
  /** Lowest level sent to Graylog (pino or Python name). Default: the logger's own level. */
  readonly level?: string;
  /** UDP: zlib-compress each message (default true, as graypy). TCP messages are never compressed. */
  readonly compress?: boolean;
  /** UDP: largest datagram in bytes, chunked above it (default 1420 as graypy; at most 8192). */
  readonly chunkSize?: number;
}
