/**
 * A producer -> worker -> collector pipeline. Each stage has its own transport, as separate processes
 * would; only the transport name (configuration) says which broker they share.
 */
import type { Transport } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';

export interface PipelineOptions {
  /** Transport name: `memory` (default), `stomp` or `amqp`. */
  readonly transport?: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  /** How many images the producer announces. */
  readonly images?: number;
  /** Queue name prefix, so that runs on a shared broker do not meet. */
  readonly prefix?: string;
  /** Where each hop is reported. */
  readonly print?: (line: string) => void;
}

export interface ImageJob {
  readonly image: string;
  readonly frame: number;
}

export interface ImageResult extends ImageJob {
  readonly spots: number;
  readonly worker: string;
}

/** A stand-in for real analysis: deterministic, so that runs on every broker can be compared. */
export function countSpots(job: ImageJob): number {
  let hash = 17;
  for (const char of job.image) hash = (hash * 31 + char.charCodeAt(0)) % 1000;
  return (hash + job.frame * 7) % 100;
}

export async function runPipeline(options: PipelineOptions = {}): Promise<ImageResult[]> {
  const name = options.transport ?? 'memory';
  const images = options.images ?? 5;
  const prefix = options.prefix ?? 'example';
  const print = options.print ?? ((line: string) => console.log(line));
  const work = `${prefix}.work`;
  const results = `${prefix}.results`;

  const open: Transport[] = [];
  const connect = async (): Promise<Transport> => {
    const transport = await createTransport(name, options.settings);
    open.push(transport);
    await transport.connect();
    return transport;
  };

  try {
    const [producer, worker, collector] = [await connect(), await connect(), await connect()];

    const collected: ImageResult[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    await collector.subscribe(
      results,
      async (header, message) => {
        const result = message as ImageResult;
        collected.push(result);
        print(`collector <- ${results}: ${result.image} frame ${result.frame}: ${result.spots} spots`);
        await collector.ack(header);
        if (collected.length === images) finished();
      },
      { acknowledgement: true },
    );

    // The worker acknowledges its input and sends its output in one transaction where it can.
    await worker.subscribe(
      work,
      async (header, message) => {
        const job = message as ImageJob;
        const result: ImageResult = { ...job, spots: countSpots(job), worker: 'worker-1' };
        print(`worker    <- ${work}: ${job.image} frame ${job.frame} -> ${results}`);
        if (worker.capabilities.transactions) {
          const transaction = await worker.transactionBegin({ subscription: Number(header.subscription) });
          await worker.send(results, result, { transaction });
          await worker.ack(header, { transaction });
          await worker.transactionCommit(transaction);
        } else {
          await worker.send(results, result);
          await worker.ack(header);
        }
      },
      { acknowledgement: true },
    );

    for (let frame = 1; frame <= images; frame++) {
      const job: ImageJob = {
        image: `/dls/i04/data/cm12345-1/x_${String(frame).padStart(4, '0')}.cbf`,
        frame,
      };
      await producer.send(work, job);
      print(`producer  -> ${work}: ${job.image} frame ${frame}`);
    }
    await done;
    collected.sort((a, b) => a.frame - b.frame);
    const total = collected.reduce((sum, result) => sum + result.spots, 0);
    print(`done: ${collected.length} images through ${name}, ${total} spots in all`);
    return collected;
  } finally {
    for (const transport of open) await transport.disconnect();
  }
}
