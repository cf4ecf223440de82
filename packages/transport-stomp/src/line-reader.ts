/**
 * A byte-exact header line reader for stompit's incoming frame parser.
 *
 * stompit decodes each socket read to text as it comes, so a multi-byte UTF-8 character split between
 * two reads turns into replacement characters in a header value (and a CR before an LF that starts the
 * next read is kept). This reader collects a line's bytes and decodes the whole line once; it is put on
 * each parser instance, so stompit itself stays untouched.
 */

/** The parts of stompit's IncomingFrameStream the reader uses. */
interface LineParser {
  _chunk: Buffer;
  _maxLineLength: number;
  _consume(count: number): void;
  _exceededLineLengthLimit(): never;
  _parseLine(): string | null;
  /** The bytes of the line read so far, when it spans reads. */
  _zocaloLine?: Buffer;
}

const LF = 0x0a;
const CR = 0x0d;

function parseLine(this: LineParser): string | null {
  const chunk = this._chunk;
  const end = chunk.indexOf(LF);
  const before = this._zocaloLine;
  const have = before === undefined ? 0 : before.length;
  if (end < 0) {
    if (have + chunk.length > this._maxLineLength) this._exceededLineLengthLimit();
    this._zocaloLine = before === undefined ? chunk : Buffer.concat([before, chunk]);
    this._consume(chunk.length);
    return null;
  }
  if (have + end + 1 > this._maxLineLength) this._exceededLineLengthLimit();
  let line: string;
  if (before === undefined) {
    // The common case, a whole line in one read: decode in place, no copy.
    line = chunk.toString('utf8', 0, end > 0 && chunk[end - 1] === CR ? end - 1 : end);
  } else {
    this._zocaloLine = undefined;
    const bytes = Buffer.concat([before, chunk.subarray(0, end)]);
    const length = bytes.length;
    line = bytes.toString('utf8', 0, length > 0 && bytes[length - 1] === CR ? length - 1 : length);
  }
  this._consume(end + 1);
  return line;
}

/** Make a stompit IncomingFrameStream read header lines byte-exactly (see the file comment). */
export function useByteExactLines(parser: unknown): void {
  const target = parser as LineParser;
  target._zocaloLine = undefined;
  target._parseLine = parseLine;
}
