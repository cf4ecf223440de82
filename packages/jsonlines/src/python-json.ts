/**
 * `json.dumps(value)` as Python writes it with its defaults, which is what python-zocalo's JSONLines
 * puts on each line (`pyDumps` of @zocalo/recipes on the value as Python would hold it): `", "` and
 * `": "` between items, every character outside printable ASCII escaped (`ensure_ascii`), floats as
 * Python's `repr`, NaN and infinities as the bare `NaN`, `Infinity`, `-Infinity`, integers of any size
 * in full, keys in the order they came.
 *
 * What cannot be told from decoded JSON: a float with a whole value (`2.0`, `1e22` in the message) has
 * become a JavaScript integer and is written as one (`2`); and an object's keys that are whole numbers
 * (`"2"`) come first, in numeric order, as JavaScript objects keep them.
 */
import { fromPlain, pyDumps } from '@zocalo/recipes';

/** `json.dumps(value)` of JSON data (as decoded from a message), exactly as Python writes it. */
export function pythonJsonDumps(value: unknown): string {
  return pyDumps(fromPlain(value));
}
