/**
 * The example services, each written with `wrapSubscribe`: they know their own queue and nothing
 * else — the recipe says where their results go.
 */
import type { RecipeWrapper } from '@zocalo/recipes';
import { wrapSubscribe, wrapSubscribeBroadcast } from '@zocalo/recipes';
import type { ReceivedHeaders, Transport } from '@zocalo/workflows';

export interface ImageJob {
  readonly image: string;
  readonly frame: number;
}

export interface SpotResult extends ImageJob {
  readonly spots: number;
}

export interface Outcome extends SpotResult {
  /** Which branch of the recipe the frame took. */
  readonly route: 'indexed' | 'skipped';
  readonly cell?: readonly number[];
}

/** A stand-in for spot finding: deterministic, so runs on every broker can be compared. */
export function countSpots(job: ImageJob): number {
  let hash = 17;
  for (const char of job.image) hash = (hash * 31 + char.charCodeAt(0)) % 1000;
  return (hash + job.frame * 7) % 100;
}

/** A stand-in for indexing: a unit cell from the spot count. */
export function unitCell(result: SpotResult): number[] {
  return [40 + (result.spots % 7), 50 + (result.spots % 11), 60 + (result.spots % 13)];
}

export type Hop = (wrapper: RecipeWrapper, step: string, text: string) => void;

/**
 * Send a step's results on and acknowledge its input together: inside one transaction where the
 * transport has them, so a crash never leaves the input acked and the output unsent (or the reverse).
 */
async function settle(
  transport: Transport,
  header: ReceivedHeaders,
  send: (transaction: number | undefined) => Promise<void>,
): Promise<void> {
  if (!transport.capabilities.transactions) {
    await send(undefined);
    await transport.ack(header);
    return;
  }
  const transaction = await transport.transactionBegin({ subscription: header.subscription });
  try {
    await send(transaction);
    await transport.ack(header, { transaction });
    await transport.transactionCommit(transaction);
  } catch (error) {
    await transport.transactionAbort(transaction);
    throw error;
  }
}

/** Step "Find spots": counts spots and sends the frame to the named output `hits` or `misses`. */
export function findSpots(transport: Transport, queue: string, hop: Hop): Promise<number> {
  return wrapSubscribe(
    transport,
    queue,
    async (wrapper, header, payload) => {
      const job = payload as ImageJob;
      const threshold = Number(wrapper.recipeStep?.parameters?.threshold ?? 50);
      const result: SpotResult = { ...job, spots: countSpots(job) };
      const output = result.spots >= threshold ? 'hits' : 'misses';
      hop(wrapper, 'find spots', `${job.image}: ${result.spots} spots (threshold ${threshold}) -> ${output}`);
      await settle(transport, header, (transaction) => wrapper.sendTo(output, result, { transaction }));
    },
    { acknowledgement: true },
  );
}

/** Step "Index": indexes a frame with enough spots. */
export function index(transport: Transport, queue: string, hop: Hop): Promise<number> {
  return wrapSubscribe(
    transport,
    queue,
    async (wrapper, header, payload) => {
      const result = payload as SpotResult;
      const outcome: Outcome = { ...result, route: 'indexed', cell: unitCell(result) };
      hop(wrapper, 'index', `${result.image}: cell ${outcome.cell!.join(' ')}`);
      await settle(transport, header, (transaction) => wrapper.send(outcome, { transaction }));
    },
    { acknowledgement: true },
  );
}

/** Step "Skip": notes a frame with too few spots. */
export function skip(transport: Transport, queue: string, hop: Hop): Promise<number> {
  return wrapSubscribe(
    transport,
    queue,
    async (wrapper, header, payload) => {
      const result = payload as SpotResult;
      hop(wrapper, 'skip', `${result.image}: too few spots, not indexed`);
      await settle(transport, header, (transaction) =>
        wrapper.send({ ...result, route: 'skipped' } satisfies Outcome, { transaction }),
      );
    },
    { acknowledgement: true },
  );
}

/** Step "Monitor": a broadcast every monitor sees (the fan-out of `hits` to a topic). */
export function monitor(
  transport: Transport,
  topic: string,
  hop: Hop,
  seen: (result: SpotResult) => void,
): Promise<number> {
  return wrapSubscribeBroadcast(transport, topic, (wrapper, _header, payload) => {
    const result = payload as SpotResult;
    hop(wrapper, 'monitor', `${result.image}: hit seen`);
    seen(result);
  });
}

/** Step "Collect": the end of the recipe. */
export function collect(
  transport: Transport,
  queue: string,
  hop: Hop,
  seen: (outcome: Outcome) => void,
): Promise<number> {
  return wrapSubscribe(
    transport,
    queue,
    async (wrapper, header, payload) => {
      const outcome = payload as Outcome;
      hop(wrapper, 'collect', `${outcome.image}: ${outcome.route} (path ${wrapper.recipePath.join(' -> ')})`);
      seen(outcome);
      await transport.ack(header);
    },
    { acknowledgement: true },
  );
}
