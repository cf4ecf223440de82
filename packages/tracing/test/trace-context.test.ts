import { TraceFlags, createTraceState } from '@opentelemetry/api';
import { MAX_TRACESTATE_LENGTH, extractSpanContext, traceHeaders, withTraceHeaders } from '../src';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('W3C trace context in message headers', () => {
  test('writes traceparent as Python writes it, and tracestate when there is one', () => {
    expect(traceHeaders({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED })).toEqual({
      traceparent: `00-${TRACE}-${SPAN}-01`,
    });
    expect(
      traceHeaders({
        traceId: TRACE,
        spanId: SPAN,
        traceFlags: TraceFlags.NONE,
        traceState: createTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
      }),
    ).toEqual({
      traceparent: `00-${TRACE}-${SPAN}-00`,
      tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    });
  });

  test('replaces trace headers already there and keeps the others', () => {
    expect(
      withTraceHeaders(
        { traceparent: 'old', tracestate: 'x=1', 'workflows-recipe': 'True' },
        { traceId: TRACE, spanId: SPAN, traceFlags: 1 },
      ),
    ).toEqual({ 'workflows-recipe': 'True', traceparent: `00-${TRACE}-${SPAN}-01` });
  });

  test('reads it back from STOMP strings and AMQP Buffers', () => {
    const header = `00-${TRACE}-${SPAN}-01`;
    for (const value of [header, Buffer.from(header)]) {
      expect(extractSpanContext({ traceparent: value, tracestate: Buffer.from('a=b') })).toMatchObject({
        traceId: TRACE,
        spanId: SPAN,
        traceFlags: 1,
        isRemote: true,
      });
    }
    expect(extractSpanContext({ traceparent: header, tracestate: 'a=b' })?.traceState?.get('a')).toBe('b');
  });

  test.each([
    ['absent', undefined],
    ['empty', ''],
    ['not hex', `00-${TRACE.replace('4', 'g')}-${SPAN}-01`],
    ['upper case', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-extra`],
    ['short', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['huge', `00-${TRACE}-${SPAN}-01`.padEnd(1 << 20, 'x')],
    ['a number', 12345],
    ['an object', { toString: () => `00-${TRACE}-${SPAN}-01` }],
  ])('a traceparent that is %s carries no context', (_what, value) => {
    expect(extractSpanContext(value === undefined ? {} : { traceparent: value })).toBeUndefined();
  });

  test('a later version with extra fields is read, as the spec says', () => {
    expect(extractSpanContext({ traceparent: `01-${TRACE}-${SPAN}-01-what-next` })?.traceId).toBe(TRACE);
  });

  test('a 1 MB tracestate is dropped quickly, not propagated', () => {
    const huge = `a=${'b'.repeat(1 << 20)}`;
    const started = performance.now();
    let kept = 0;
    // Dropped on its length, before any parsing: 1000 of them take about as long as 1000 small ones.
    for (let i = 0; i < 1000; i++) {
      if (extractSpanContext({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: huge })?.traceState) kept++;
    }
    expect(kept).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
    const context = extractSpanContext({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: huge });
    expect(context && traceHeaders(context)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
    // One within the bound (members of at most 256 characters, as the spec allows) is kept whole.
    const justRight = Array.from({ length: 11 }, (_, i) => `k${i}=${'v'.repeat(40)}`).join(',');
    expect(justRight.length).toBeLessThanOrEqual(MAX_TRACESTATE_LENGTH);
    const kept2 = extractSpanContext({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: justRight });
    expect(kept2 && traceHeaders(kept2).tracestate).toBe(justRight);
  });
});
