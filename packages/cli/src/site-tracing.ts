/**
 * Tracing as the site configuration's `opentelemetry` block asks (python-workflows' plugin: switched
 * on by its presence), for the commands that run a service or a wrapper. Without the block nothing of
 * OpenTelemetry is loaded and nothing costs; with it, `@zocalo/tracing` loads the SDK (optional peer
 * dependencies of that package: a clear error names them when they are missing).
 */
import { openTelemetrySettings } from '@zocalo/configuration';
import type { TransportMiddleware } from '@zocalo/workflows';
import { CliError, EXIT_USAGE, oneLine } from './cli-error';
import type { Site } from './site';

export interface SiteTracing {
  /** The tracing middleware to run every transport call through; none when tracing is off. */
  readonly middleware: readonly TransportMiddleware[];
  /** Export the spans still waiting and switch tracing off again. */
  shutdown(): Promise<void>;
}

const OFF: SiteTracing = { middleware: [], shutdown: async () => undefined };

/** Switch tracing on for this process when the site has an `opentelemetry` block; `serviceName` names its spans. */
export async function startSiteTracing(site: Site, serviceName: string): Promise<SiteTracing> {
  const settings = openTelemetrySettings(site.configuration.plugins);
  if (settings === undefined) return OFF;
  try {
    const { startTracing } = await import('@zocalo/tracing');
    const tracing = await startTracing({ serviceName, ...settings });
    site.logger.info({ endpoint: settings.endpoint }, `tracing on: spans go to ${settings.endpoint}`);
    return {
      middleware: [tracing.middleware],
      shutdown: async () => {
        try {
          await tracing.shutdown();
        } catch (error) {
          site.logger.warn({ err: error }, 'could not export the last spans');
        }
      },
    };
  } catch (error) {
    throw new CliError(`the opentelemetry block: ${oneLine(error)}`, EXIT_USAGE, { cause: error });
  }
}
