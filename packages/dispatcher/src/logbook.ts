/**
 * The Dispatcher's logbook, as python-zocalo keeps it (storage `zocalo.dispatcher.logbook_location`):
 * one text file per request at `<logbook>/<YYYY-MM>/<guid[:2]>/<guid[2:]>`, holding the incoming
 * header, the incoming body, the parsed body and the recipe started, each as sorted, indented JSON.
 * A logbook that cannot be written is disabled at start (logged as an error); a single entry that
 * cannot be written is a warning and never fails the request.
 */
import { constants } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@zocalo/workflows';
import { neatJson } from './neat-json';

/** What one logbook entry records. */
export interface LogbookEntry {
  readonly guid: string;
  readonly header: unknown;
  /** The request as it arrived. */
  readonly incoming: unknown;
  /** The request after the filters (with the merged recipe). */
  readonly parsed: unknown;
  /** The recipe that was started. */
  readonly recipe: unknown;
}

/** Python's `re.sub(r"[^a-z0-9A-Z\-]+", "", guid)`. */
export function cleanGuid(guid: string): string {
  return guid.replace(/[^a-z0-9A-Z-]+/g, '');
}

/** The month folder, `time.strftime("%Y-%m")` in local time as Python writes it. */
export function monthFolder(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** The text of an entry, section by section as python-zocalo writes it. */
export function logbookText(entry: LogbookEntry): string {
  return (
    `Incoming message header:\n${neatJson(entry.header)}` +
    `\n\nIncoming message body:\n${neatJson(entry.incoming)}` +
    `\n\nParsed message body:\n${neatJson(entry.parsed)}` +
    `\n\nRecipe object:\n${neatJson(entry.recipe)}\n`
  );
}

export class Logbook {
  private constructor(
    readonly location: string,
    private readonly logger: Logger,
  ) {}

  /**
   * The logbook at `location`, created (mode 775) if missing; `undefined` — with the reason logged —
   * when no location is configured or it cannot be written.
   */
  static async open(location: string | undefined, logger: Logger): Promise<Logbook | undefined> {
    if (!location) {
      logger.info({}, 'Logbook disabled: zocalo.dispatcher.logbook_location not defined');
      return undefined;
    }
    try {
      await mkdir(location, { recursive: true, mode: 0o775 });
      await access(location, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      logger.error({ err: error, logbook: location }, `Logbook disabled: Can not write to ${location}`);
      return undefined;
    }
    logger.debug({ logbook: location }, `Using logbook location ${location}`);
    return new Logbook(location, logger);
  }

  /** Where the entry of `guid` goes, or `undefined` for a guid with fewer than 3 usable characters. */
  entryPath(guid: string, date: Date = new Date()): string | undefined {
    const clean = cleanGuid(guid);
    if (clean.length < 3) return undefined;
    return join(this.location, monthFolder(date), clean.slice(0, 2), clean.slice(2));
  }

  /** Write an entry; returns its path, or `undefined` if it was not written (a warning is logged). */
  async record(entry: LogbookEntry, date: Date = new Date()): Promise<string | undefined> {
    const path = this.entryPath(entry.guid, date);
    if (path === undefined) {
      this.logger.warn(
        { guid: entry.guid },
        `Message with non-conforming guid ${entry.guid} not written to logbook`,
      );
      return undefined;
    }
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, logbookText(entry));
      this.logger.debug({ path }, `Message saved in logbook at ${path}`);
      return path;
    } catch (error) {
      this.logger.warn({ err: error, path }, 'Could not write message to logbook');
      return undefined;
    }
  }
}
