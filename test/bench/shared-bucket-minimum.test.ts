import { describe, expect, it } from 'vitest';
import { plannedPeople } from '../../bench/support/hr-people.ts';
import { modelParameters, scaledDurations, upsertSizes } from '../../bench/support/push-run.ts';
import { sharedBucketMinimum } from '../../bench/support/shared-bucket-minimum.ts';
import { pushMinimum } from '../../bench/support/theoretical-minimum.ts';

const people = upsertSizes(plannedPeople(20_000));

describe('the shared-bucket minimum', () => {
  it.each([
    { perWindow: 600, share: 1, scale: 20 },
    { perWindow: 100, share: 0.5, scale: 20 },
    { perWindow: 600, share: 1, scale: 1 },
  ])('is the one-source minimum for one source ($perWindow a window, share $share, ÷ $scale)', (preset) => {
    const { operations, ...bucket } = modelParameters([people], scaledDurations(preset.scale), preset);
    const one = pushMinimum({ operations, ...bucket });
    const shared = sharedBucketMinimum([{ operations }], bucket);
    expect({ wallMs: shared.wallMs, requests: shared.requests, bulk: shared.bulkRequests }).toEqual({
      wallMs: one.wallMs,
      requests: one.requests,
      bulk: one.bulkRequests,
    });
  });

  it('adds every source to the one bucket: 16 sources of 20k need three 600-request windows', () => {
    const { operations, ...bucket } = modelParameters([people], scaledDurations(20), { perWindow: 600, share: 1 });
    const one = sharedBucketMinimum([{ operations }], bucket);
    const sixteen = sharedBucketMinimum(
      Array.from({ length: 16 }, () => ({ operations })),
      bucket,
    );
    expect(sixteen.requests).toBe(16 * one.requests);
    // 1,712 requests: the bucket, not the imports, sets the pace (4 sources fit in one window and take no longer).
    expect(
      sharedBucketMinimum(
        Array.from({ length: 4 }, () => ({ operations })),
        bucket,
      ).wallMs,
    ).toBe(one.wallMs);
    expect(sixteen.wallMs).toBeGreaterThan(one.wallMs);
    expect(sixteen.wallMs).toBeGreaterThanOrEqual(sixteen.bounds.rateLimitMs);
  });

  it('lets a source that starts later take tokens as they come', () => {
    const { operations, ...bucket } = modelParameters([people], scaledDurations(20), { perWindow: 600, share: 1 });
    const leaver = { operations: [{ items: 1, itemBytes: 20, envelopeBytes: 40 }], startsAtMs: 500 };
    const result = sharedBucketMinimum([{ operations }, leaver], bucket);
    // Its five requests find tokens at once; then its import (0.5 s + a record).
    expect(result.sources[1]!.requests).toBe(5);
    expect(result.sources[1]!.doneMs - 500).toBeCloseTo(bucket.importProcessingMs + bucket.importProcessingPerRecordMs);
  });

  it('counts read-backs (a sample of 100 of each COMPLETED session here), each a request after its import', () => {
    const { operations, ...bucket } = modelParameters([people], scaledDurations(20), { perWindow: 600, share: 1 });
    const without = sharedBucketMinimum([{ operations }], bucket);
    const withReads = sharedBucketMinimum([{ operations }], {
      ...bucket,
      readBack: { sample: 100, maxPerSession: 1000 },
    });
    expect(withReads.readBacks).toBe(200);
    expect(withReads.requests).toBe(without.requests + 200);
    // 307 requests fit one 600-token window: the reads cost no time here.
    expect(withReads.wallMs).toBe(without.wallMs);
  });
});
