import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BandwidthBudget } from './bandwidth';
import { BatchSizer } from './batch-sizer';
import { Backoff } from './backoff';

const limits = { capBytesPerSec: null, dailyQuotaBytes: null, criticalReserveBytes: 0, metered: false };

test('the byte-rate cap turns spent bytes into a wait that drains with time', () => {
  let now = 1_000_000;
  const budget = new BandwidthBudget({ ...limits, capBytesPerSec: 1000 }, { day: '', wireBytes: 0 }, () => now);
  assert.equal(budget.waitMs(), 0);
  budget.spend(2500);
  assert.equal(budget.waitMs(), 2500);
  now += 1000;
  assert.equal(budget.waitMs(), 1500);
  now += 5000;
  assert.equal(budget.waitMs(), 0);
});

test('the daily quota keeps a reserve for critical changes, then stops; a new UTC day starts over', () => {
  let now = Date.UTC(2026, 0, 1, 12);
  const budget = new BandwidthBudget({ ...limits, dailyQuotaBytes: 10_000, criticalReserveBytes: 2000 }, { day: '2026-01-01', wireBytes: 7000 }, () => now);
  assert.equal(budget.allowance(), 'all');
  budget.spend(1500); // 8500 used: 1500 left, inside the reserve
  assert.equal(budget.allowance(), 'critical-only');
  budget.spend(1500);
  assert.equal(budget.allowance(), 'none');
  assert.deepEqual(budget.usage(), { day: '2026-01-01', wireBytes: 10_000 });
  now = Date.UTC(2026, 0, 2, 0, 0, 1);
  assert.equal(budget.allowance(), 'all');
  assert.equal(budget.usage().wireBytes, 0);
});

test('a metered link syncs only critical changes; usage from another day is not carried', () => {
  const budget = new BandwidthBudget({ ...limits, metered: true }, { day: '1999-01-01', wireBytes: 5 });
  assert.equal(budget.allowance(), 'critical-only');
  assert.equal(budget.usage().wireBytes, 0);
});

test('batches grow on a fast link, shrink on a slow one and on 413, within bounds', () => {
  const sizer = new BatchSizer(1000, 1000, 1, 100);
  sizer.record(100, 100);
  assert.equal(sizer.current, 200);
  sizer.record(50, 10); // a short batch says nothing
  assert.equal(sizer.current, 200);
  for (let i = 0; i < 10; i++) sizer.record(sizer.current, 10);
  assert.equal(sizer.current, 1000);
  sizer.record(1000, 5000);
  assert.equal(sizer.current, 500);
  sizer.shrink();
  assert.equal(sizer.current, 250);
  sizer.shrink(10); // a refused batch of 10: the next one is at most 5
  assert.equal(sizer.current, 5);
  sizer.setMax(100);
  for (let i = 0; i < 10; i++) sizer.record(sizer.current, 10);
  assert.equal(sizer.current, 100);
});

test('backoff doubles with jitter up to the cap and honours Retry-After as a floor', () => {
  const low = new Backoff(1000, 8000, () => 0);
  const high = new Backoff(1000, 8000, () => 1);
  assert.deepEqual([low.next(), low.next(), low.next(), low.next(), low.next()], [500, 1000, 2000, 4000, 4000]);
  assert.deepEqual([high.next(), high.next(), high.next(), high.next()], [1000, 2000, 4000, 8000]);
  assert.equal(new Backoff(1000, 8000, () => 0).next(30_000), 30_000);
  low.reset();
  assert.equal(low.next(), 500);
});
