/**
 * @zocalo/jsonlines: the JSONLines service, python-zocalo's `JSONLines` ("JSON Lines"), which appends
 * each recipe message of `jsonlines` to the file its step names, one line of JSON each.
 *
 * - `jsonlines.ts`: the {@link JSONLines} service, and {@link jsonLine}: the file and line of a message
 *   (`output_filename`, `include`, `exclude`), or why it is rejected.
 * - `python-json.ts`: {@link pythonJsonDumps}, Python's `json.dumps` of JSON data.
 * - `create-jsonlines.ts`: {@link createJsonLines}, as `zocalo service JSONLines` starts it.
 * - `errors.ts`: {@link JsonLinesWriteError}.
 */
export type { JsonLine, JsonLinesOptions } from './jsonlines';
export { JSONLINES_QUEUE, JSONLines, jsonLine } from './jsonlines';
export { pythonJsonDumps } from './python-json';
export type { JsonLinesFactoryContext } from './create-jsonlines';
export { JSONLINES_STORAGE_KEYS, createJsonLines } from './create-jsonlines';
export type { JsonLinesErrorCode } from './errors';
export { JSONLINES_ERROR_CODES, JsonLinesWriteError } from './errors';
