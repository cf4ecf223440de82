/**
 * decodeBody on a large body that JSON.parse refuses (one Python NaN), side by side with JSON.parse of
 * the same body without it, measured in the same run. Prints figures; asserts nothing beyond the
 * decoded value being right (the target is read off the table).
 *
 * BENCH_MB sets the body size (default 50), BENCH_ROUNDS the rounds (default 5; best of them counts).
 */
import { performance } from 'node:perf_hooks';
import { decodeBody } from '../src/index';

/** A deterministic PRNG, so every run decodes the same body. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The head of `{"records": [...], "mean": <value>}`: records as a processing service might send them
 * (paths, escaped strings, short and full-precision floats as Python's repr writes them, nesting).
 * The special value comes last, so JSON.parse refuses the body only at its very end (the worst case).
 */
function recordsBody(mb: number): { head: string; count: number } {
  const random = mulberry32(42);
  const parts: string[] = [];
  let length = 0;
  while (length < mb * 1_000_000) {
    const id = parts.length;
    const record = JSON.stringify({
      id,
      image: `/dls/i04/data/2024/cm37235-1/xtal_${id}/image_${String(id % 3600).padStart(5, '0')}.cbf`,
      frame: id % 3600,
      exposure: 0.0125,
      intensity: random() * 1000,
      ok: id % 7 !== 0,
      note: id % 11 === 0 ? null : 'a "quoted" note\twith µm and \\ in it',
      beam: { x: random() - 0.5, y: -2.25, size: [20, 5] },
    });
    parts.push(record);
    length += record.length + 1;
  }
  return { head: `{"records": [${parts.join(',')}], "mean": `, count: parts.length };
}

/** The same for a number-dense body (an image as rows of counts): little but digits and commas. */
function numbersBody(mb: number): { head: string; count: number } {
  const random = mulberry32(7);
  const rows: string[] = [];
  let length = 0;
  while (length < mb * 1_000_000) {
    const row = `[${Array.from({ length: 64 }, () => Math.floor(random() * 4096)).join(', ')}]`;
    rows.push(row);
    length += row.length + 2;
  }
  return { head: `{"records": [${rows.join(', ')}], "mean": `, count: rows.length };
}

interface Decoded {
  records: unknown[];
  mean: unknown;
  dcid?: unknown;
}

interface Case {
  readonly name: string;
  readonly run: () => unknown;
  readonly mean: (value: unknown) => boolean;
  readonly dcid?: bigint;
  best: number;
}

const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Best time of each case; rounds interleave the cases, and each run starts after a full GC. */
function measure(cases: Case[], count: number, rounds: number): void {
  for (let round = 0; round < rounds; round++) {
    for (const each of cases) {
      collect();
      const start = performance.now();
      const value = each.run() as Decoded;
      const ms = performance.now() - start;
      if (value.records.length !== count || !each.mean(value.mean) || value.dcid !== each.dcid) {
        throw new Error(`${each.name}: decoded the body wrongly`);
      }
      each.best = Math.min(each.best, ms);
    }
  }
}

function report(shape: string, make: (mb: number) => { head: string; count: number }): number {
  const mb = Number(process.env.BENCH_MB ?? 50);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const { head, count } = make(mb);
  // Flat strings, as Buffer.toString gives them to decodeBody (a concatenation is slower to scan).
  const flat = (text: string) => Buffer.from(text, 'utf8').toString('utf8');
  const plain = flat(`${head}null}`);
  const withNaN = flat(`${head}NaN}`);
  const withNaNAndBig = flat(`${head}NaN, "dcid": 162182994129803994}`);
  const isNull = (value: unknown) => value === null;
  const isNotANumber = (value: unknown) => Number.isNaN(value);
  const cases: Case[] = [
    {
      name: 'JSON.parse, body without NaN (baseline)',
      run: () => JSON.parse(plain),
      mean: isNull,
      best: Infinity,
    },
    { name: 'decodeBody, same body without NaN', run: () => decodeBody(plain), mean: isNull, best: Infinity },
    {
      name: 'decodeBody, body with one NaN (last value)',
      run: () => decodeBody(withNaN),
      mean: isNotANumber,
      best: Infinity,
    },
    {
      name: 'decodeBody, one NaN and one integer beyond 2^53',
      run: () => decodeBody(withNaNAndBig),
      mean: isNotANumber,
      dcid: 162182994129803994n,
      best: Infinity,
    },
  ];
  measure(cases, count, rounds);
  const baseline = cases[0].best;
  const sizeMb = (Buffer.byteLength(withNaN) / 1_000_000).toFixed(1);
  console.log(`\n${shape}: ${sizeMb} MB body (${count.toLocaleString()} entries), best of ${rounds}`);
  console.log(`${'measure'.padEnd(52)} ${'time'.padStart(10)}  ratio`);
  for (const { name, best } of cases) {
    console.log(
      `${name.padEnd(52)} ${`${best.toFixed(0)} ms`.padStart(10)}  ${(best / baseline).toFixed(2)}`,
    );
  }
  return cases[2].best / baseline;
}

function main(): void {
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for steadier figures)');
  const ratios = [report('records', recordsBody), report('numbers', numbersBody)];
  const worst = Math.max(...ratios);
  console.log(
    `\ntarget: decodeBody of a body with one NaN within 3x of JSON.parse of it without: ` +
      `${ratios.map((ratio) => `${ratio.toFixed(2)}x`).join(', ')}: ${worst <= 3 ? 'met' : 'MISSED'}`,
  );
}

main();
