/**
 * The dead-letters view, on the library code of the `zocalo dlq` commands (@zocalo/schlockmeister):
 * a DLQ is purged to files with `dlqPurge` (python-zocalo's format and layout, in the dashboard's
 * purge directory), the saved messages are read with `parseDlqFile` and shown — headers, the body
 * pretty-printed, the x-death history, the recipe path — and one, a selection or all are sent back
 * with `dlqReinject` (each file removed once the broker confirmed its send). Bodies are cut for the
 * page: a 50 MB or non-UTF-8 body arrives truncated, never whole.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { DlqFile, ReinjectOutcome } from '@zocalo/schlockmeister';
import { decodeDlqBody, dlqPurge, dlqReinject, parseDlqFile, xDeathEntries } from '@zocalo/schlockmeister';
import type { Logger, Transport } from '@zocalo/workflows';
import { readRegularFileAsync } from '@zocalo/workflows';
import type { BrokerView } from './brokers';

/** Characters of a body the page gets at most. */
export const BODY_LIMIT = 64 * 1024;
/** Characters of the headers the page gets at most. */
const HEADER_LIMIT = 16 * 1024;
/** Bodies up to this size are parsed to be pretty-printed; larger ones are shown as they are, cut. */
const PRETTY_LIMIT = 1024 * 1024;

/** A saved message as the page shows it. */
export interface SavedMessage {
  /** Its file, relative to the purge directory (what reinject is asked for). */
  readonly id: string;
  readonly bytes: number;
  readonly dlq?: string;
  readonly originalQueue?: string;
  readonly savedAt?: string;
  readonly messageId?: string;
  /** The headers as JSON text, cut at 16 KB. */
  readonly headers?: string;
  /** The body, pretty-printed when it is JSON, cut at {@link BODY_LIMIT}. */
  readonly body?: string;
  readonly bodyBytes?: number;
  readonly truncated?: boolean;
  /** The body is not valid UTF-8: shown with replacement characters. */
  readonly invalidUtf8?: boolean;
  /** The broker's x-death entries (RabbitMQ): queue, reason, count, time. */
  readonly deaths?: ReadonlyArray<Readonly<Record<string, string | number>>>;
  /** The recipe steps the message went through and where it was (recipe-path, recipe-pointer). */
  readonly recipePath?: readonly number[];
  readonly recipePointer?: number;
  readonly recipeStep?: string;
  /** Why the file could not be read as a message file. */
  readonly error?: string;
}

/** Who asked for an action, for the log. */
export interface Actor {
  readonly who: string;
  readonly from?: string;
}

function cut(text: string, limit: number): { text: string; truncated: boolean } {
  return text.length > limit ? { text: text.slice(0, limit), truncated: true } : { text, truncated: false };
}

function plainDeaths(header: DlqFile['header']): Array<Record<string, string | number>> {
  const nested = header.headers;
  const raw =
    header['x-death'] ??
    (nested !== null && typeof nested === 'object' && !Array.isArray(nested) ? nested['x-death'] : undefined);
  return xDeathEntries(raw).map((entry) => {
    const plain: Record<string, string | number> = {};
    for (const key of ['queue', 'reason', 'count', 'exchange', 'time']) {
      const value = entry[key];
      if (typeof value === 'string' || typeof value === 'number') plain[key] = value;
      else if (value !== null && typeof value === 'object' && 'value' in value)
        plain[key] = Number(value.value);
    }
    return plain;
  });
}

function recipeOf(message: unknown): Pick<SavedMessage, 'recipePath' | 'recipePointer' | 'recipeStep'> {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return {};
  const record = message as Record<string, unknown>;
  const path = Array.isArray(record['recipe-path'])
    ? (record['recipe-path'] as unknown[]).filter((step): step is number => typeof step === 'number')
    : undefined;
  const pointer = typeof record['recipe-pointer'] === 'number' ? record['recipe-pointer'] : undefined;
  const recipe = record.recipe as Record<string, unknown> | undefined;
  const step =
    pointer !== undefined && recipe && typeof recipe === 'object'
      ? (recipe[String(pointer)] as Record<string, unknown> | undefined)
      : undefined;
  const describe =
    step && typeof step === 'object'
      ? [
          step.service,
          step.queue ? `queue ${String(step.queue)}` : undefined,
          step.topic ? `topic ${String(step.topic)}` : undefined,
        ]
          .filter((part): part is string => typeof part === 'string')
          .join(', ')
      : undefined;
  return {
    ...(path ? { recipePath: path } : {}),
    ...(pointer === undefined ? {} : { recipePointer: pointer }),
    ...(describe ? { recipeStep: describe } : {}),
  };
}

/** The page's view of one saved file (what is shown is cut; the file is left as it is). */
export function describeSaved(id: string, text: string, bytes: number): SavedMessage {
  let saved: DlqFile;
  try {
    saved = parseDlqFile(text);
  } catch (error) {
    return { id, bytes, error: error instanceof Error ? error.message : String(error) };
  }
  const raw = decodeDlqBody(saved);
  const invalidUtf8 = saved.bodyBase64 !== undefined && saved.body === undefined;
  let body = typeof raw === 'string' ? raw : raw.subarray(0, BODY_LIMIT * 4).toString('utf8');
  const bodyBytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (!invalidUtf8 && body.length <= PRETTY_LIMIT) {
    try {
      body = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // Not JSON: shown as the text it is.
    }
  }
  const shown = cut(body, BODY_LIMIT);
  const headers = cut(JSON.stringify(saved.header, null, 2), HEADER_LIMIT);
  const messageId = saved.header['message-id'];
  return {
    id,
    bytes,
    dlq: saved.dlq,
    originalQueue: saved.originalQueue,
    savedAt: saved.savedAt,
    ...(typeof messageId === 'string' ? { messageId } : {}),
    headers: headers.text,
    body: shown.text,
    bodyBytes,
    truncated: shown.truncated || (typeof raw !== 'string' && raw.length > BODY_LIMIT * 4),
    invalidUtf8,
    deaths: plainDeaths(saved.header),
    ...recipeOf(saved.message ?? (invalidUtf8 || body.length > PRETTY_LIMIT ? undefined : safeJson(body))),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class DeadLetters {
  private readonly cache = new Map<string, { key: string; saved: SavedMessage }>();
  readonly directory: string;

  constructor(
    private readonly transport: Transport,
    private readonly broker: BrokerView,
    directory: string,
    private readonly logger: Logger,
  ) {
    this.directory = resolve(directory);
  }

  counts(): ReturnType<BrokerView['dlqCounts']> {
    return this.broker.dlqCounts();
  }

  /** The message files in the purge directory (its date folders, as `dlq purge` lays them out). */
  private async files(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && depth < 2) await walk(path, depth + 1);
        else if (entry.isFile()) found.push(relative(this.directory, path));
      }
    };
    await walk(this.directory, 0);
    return found.sort();
  }

  /** Every saved message, newest file names last; each file read once until it changes. */
  async saved(): Promise<SavedMessage[]> {
    const ids = await this.files();
    const list: SavedMessage[] = [];
    for (const id of ids) {
      const path = join(this.directory, id);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      const key = `${info.size}:${info.mtimeMs}`;
      const hit = this.cache.get(id);
      if (hit?.key === key) {
        list.push(hit.saved);
        continue;
      }
      let saved: SavedMessage;
      try {
        saved = describeSaved(id, await readRegularFileAsync(path), info.size);
      } catch (error) {
        saved = { id, bytes: info.size, error: error instanceof Error ? error.message : String(error) };
      }
      this.cache.set(id, { key, saved });
      list.push(saved);
    }
    for (const id of this.cache.keys()) if (!ids.includes(id)) this.cache.delete(id);
    return list;
  }

  /** Move every message of a dead-letter queue to files (`dlqPurge`). */
  async purge(queue: string, actor: Actor): Promise<{ files: number; failed: number; error?: string }> {
    if (!queue.startsWith(this.broker.dlqPrefix)) {
      throw new Error(`${queue} is no dead-letter queue (${this.broker.dlqPrefix}<queue>)`);
    }
    await mkdir(this.directory, { recursive: true });
    const result = await dlqPurge(this.transport, queue, this.directory, {
      broker: this.broker.kind,
      wait: 1,
    });
    this.logger.info(
      {
        action: 'dlq purge',
        who: actor.who,
        from: actor.from,
        queue,
        files: result.files.length,
        failed: result.failed,
      },
      `dashboard: ${actor.who} purged ${result.files.length} message(s) of ${queue} to ${this.directory}`,
    );
    return {
      files: result.files.length,
      failed: result.failed,
      ...(result.error ? { error: result.error } : {}),
    };
  }

  /** Send saved messages back (`dlqReinject`, removing each file once sent); `all` for every one. */
  async reinject(ids: readonly string[] | 'all', actor: Actor): Promise<ReinjectOutcome[]> {
    const known = await this.files();
    const chosen = ids === 'all' ? known : ids.filter((id) => known.includes(id));
    const unknown = ids === 'all' ? [] : ids.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw new Error(`no such saved message: ${unknown.join(', ')}`);
    const paths = chosen.map((id) => {
      const path = resolve(this.directory, id);
      if (!path.startsWith(this.directory + sep)) throw new Error(`no such saved message: ${id}`);
      return path;
    });
    const outcomes = await dlqReinject(this.transport, paths, {
      remove: true,
      ...(this.broker.exchangeType
        ? { exchangeType: (name: string) => this.broker.exchangeType!(name) }
        : {}),
    });
    const sent = outcomes.filter((outcome) => outcome.status === 'sent');
    this.logger.info(
      {
        action: 'dlq reinject',
        who: actor.who,
        from: actor.from,
        files: outcomes.map((outcome) => ({
          file: relative(this.directory, outcome.file),
          status: outcome.status,
          queue: outcome.queue,
        })),
      },
      `dashboard: ${actor.who} reinjected ${sent.length} of ${outcomes.length} message(s)`,
    );
    return outcomes.map((outcome) => ({ ...outcome, file: relative(this.directory, outcome.file) }));
  }
}
