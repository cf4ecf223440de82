/** A waterfall of received spans as SVG: one row per span, indented under its parent, time across. */
import type { ReceivedSpan } from '@zocalo/test-brokers';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function waterfallSvg(spans: readonly ReceivedSpan[], title: string): string {
  const byParent = new Map<string, ReceivedSpan[]>();
  const ids = new Set(spans.map((span) => span.spanId));
  for (const span of spans) {
    const parent = ids.has(span.parentSpanId) ? span.parentSpanId : '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), span]);
  }
  const rows: Array<{ span: ReceivedSpan; depth: number }> = [];
  const visit = (parent: string, depth: number): void => {
    const children = (byParent.get(parent) ?? []).sort((a, b) =>
      BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1,
    );
    for (const span of children) {
      rows.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit('', 0);
  const start = rows.reduce(
    (min, { span }) => (BigInt(span.startTimeUnixNano) < min ? BigInt(span.startTimeUnixNano) : min),
    BigInt(rows[0].span.startTimeUnixNano),
  );
  const end = rows.reduce(
    (max, { span }) => (BigInt(span.endTimeUnixNano) > max ? BigInt(span.endTimeUnixNano) : max),
    0n,
  );
  const total = Number(end - start) || 1;
  const label = 430;
  const width = 1100;
  const bar = width - label - 20;
  const rowHeight = 22;
  const colours: Record<string, string> = {};
  const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
  const lines = rows.map(({ span, depth }, index) => {
    const service = String(span.attributes.service_name ?? '');
    colours[service] ??= palette[Object.keys(colours).length % palette.length];
    const x = label + (Number(BigInt(span.startTimeUnixNano) - start) / total) * bar;
    const w = Math.max(
      1.5,
      (Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / total) * bar,
    );
    const y = 40 + index * rowHeight;
    const where = span.attributes.channel ?? span.attributes.destination ?? '';
    const ms = (Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6).toFixed(1);
    return (
      `<text x="${8 + depth * 14}" y="${y + 15}" font-size="12">${escape(`${service} · ${span.name}${where ? ` ${String(where).replace(/\.[0-9a-f-]{8,}.*$/, '')}` : ''}`)}</text>` +
      `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="14" fill="${colours[service]}"><title>${escape(`${span.name} ${ms} ms ${JSON.stringify(span.attributes)}`)}</title></rect>` +
      `<text x="${(x + w + 4).toFixed(1)}" y="${y + 15}" font-size="10" fill="#555">${ms} ms</text>`
    );
  });
  const height = 60 + rows.length * rowHeight;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="8" y="22" font-size="14" font-weight="bold">${escape(title)} — ${(total / 1e6).toFixed(1)} ms, trace ${rows[0].span.traceId}</text>` +
    lines.join('\n') +
    `</svg>\n`
  );
}
