/** The main job: `pnpm example` (memory), or `ZOCALO_TRANSPORT=stomp|amqp pnpm example`. */
import { runPipeline } from './pipeline';

runPipeline({ transport: process.env.ZOCALO_TRANSPORT ?? 'memory' }).catch((error: unknown) => {
  console.error(`pipeline failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
