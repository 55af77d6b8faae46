import { expect, it } from 'vitest';
import { parseSyncConfig } from '../../activities/mapping/config.ts';
import { mapRecord } from '../../activities/mapping/map-record.ts';

const { mapping } = parseSyncConfig(
  `
source: { type: csv, location: export.csv }
mapping:
  externalId: id
  attributes:
    userName: email
    email: email
    hireDate: { field: hired, transforms: [{ date: { from: yyyy-MM-dd, to: yyyy-MM-dd } }] }
  customAttributes: [hireDate]
  lifecycle:
    startDate: { field: hired }
    terminationDate: { field: left }
    preHireDays: 0
`,
  'dates config',
);
const today = '2026-06-01';
const map = (hired: string, left = '') => mapRecord({ id: 'E1', email: 'e1@example.com', hired, left }, mapping, today);

it('takes real calendar days in yyyy-MM-dd, leap days included', () => {
  expect(map('2024-02-29')).toMatchObject({ ok: true, person: { disposition: 'active' } });
  expect(map('2024-02-29')).toMatchObject({ ok: true, person: { profile: { hireDate: '2024-02-29' } } });
  expect(map('2000-02-29', '2026-12-31')).toMatchObject({ ok: true, person: { nextChange: '2026-12-31' } });
  expect(map('2026-06-02')).toMatchObject({ ok: true, person: { disposition: 'pre-hire', nextChange: '2026-06-02' } });
  expect(map('2020-01-01', '2026-06-01')).toMatchObject({ ok: true, person: { disposition: 'terminated' } });
});

it('refuses days that do not exist, naming the field, never the text', () => {
  for (const [hired, left] of [
    ['2020-01-01', '2026-02-30'],
    ['2020-01-01', '1900-02-29'],
    ['2020-01-01', '2026-04-31'],
    ['2020-01-01', '2026-13-01'],
    ['2020-01-01', '0000-01-01'],
  ] as const) {
    expect(map(hired, left)).toEqual({
      ok: false,
      problem: { externalId: 'E1', field: 'left', reason: 'is not a date in the format yyyy-MM-dd' },
    });
  }
  expect(map('2026-02-30')).toEqual({
    ok: false,
    problem: { externalId: 'E1', field: 'hired', reason: 'is not a date in the format yyyy-MM-dd' },
  });
});

it('refuses a day that does not exist in a date transform too', () => {
  // No lifecycle here, so only the transform reads the date.
  const plain = { ...mapping, lifecycle: { preHireDays: 0, timeZone: 'UTC' } };
  expect(mapRecord({ id: 'E1', email: 'e1@example.com', hired: ' 2023-02-29 ' }, plain, today)).toEqual({
    ok: false,
    problem: {
      externalId: 'E1',
      field: 'hireDate',
      reason: 'hired is not a date in the format yyyy-MM-dd',
    },
  });
  expect(mapRecord({ id: 'E1', email: 'e1@example.com', hired: ' 2024-02-29 ' }, plain, today)).toMatchObject({
    ok: true,
    person: { profile: { hireDate: '2024-02-29' } },
  });
});

it('still takes the looser forms date-fns takes for yyyy-MM-dd', () => {
  expect(map('2020-3-1', '2026-7-4')).toMatchObject({
    ok: true,
    person: { disposition: 'active', nextChange: '2026-07-04', profile: { hireDate: '2020-03-01' } },
  });
});
