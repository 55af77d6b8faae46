import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { parseSyncConfig } from '../../activities/mapping/config.ts';
import { planSync } from '../../activities/planning/plan-sync.ts';
import { openStateStore } from '../../activities/store/open.ts';
import { applyPlan, emptyOkta } from './apply-plan.ts';
import type { OktaModel } from './apply-plan.ts';

const dir = mkdtempSync(join(tmpdir(), 'hr-okta-sync-delta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = parseSyncConfig(
  `
source: { type: ndjson, location: ${join(dir, 'export.ndjson')} }
mapping:
  externalId: id
  attributes:
    userName: email
    email: email
    firstName: first
    lastName: last
    department: dept
  customAttributes: [department]
  lifecycle: { status: { field: status, active: [A], terminated: [T] } }
  groups: [{ value: dept, externalIdPrefix: 'g-' }]
guardrails: { minRecords: 0, maxShrinkPercent: 100, maxDeactivations: 1000, maxDeactivationPercent: 100, maxInvalidPercent: 100 }
reports: { dir: ${join(dir, 'reports')} }
`,
  'property config',
);

interface Person {
  id: string;
  status: 'A' | 'T';
  first: string;
  last: string;
  dept: string;
  /** No email: invalid if active (a terminated record needs no profile). */
  broken: boolean;
}

const personArb = (id: string) =>
  fc.option(
    fc.record({
      id: fc.constant(id),
      status: fc.constantFrom<'A' | 'T'>('A', 'A', 'A', 'T'),
      first: fc.constantFrom('Ada', 'Zoë', 'Łukasz', 'Li'),
      last: fc.constantFrom('Lovelace', 'Núñez', 'Ng'),
      dept: fc.constantFrom('Eng', 'Sales', 'Ops'),
      broken: fc.constantFrom(false, false, false, true),
    }),
    { freq: 4 },
  );
const ids = Array.from({ length: 12 }, (_, i) => `E${i}`);
const exportArb = fc.tuple(...ids.map(personArb)).map((people) => people.filter((p) => p !== null) as Person[]);

function write(people: Person[]): void {
  const lines = people.map((p) =>
    JSON.stringify({
      id: p.id,
      status: p.status,
      first: p.first,
      last: p.last,
      dept: p.dept,
      email: p.broken ? '' : `${p.id.toLowerCase()}@example.com`,
    }),
  );
  writeFileSync(join(dir, 'export.ndjson'), lines.join('\n'));
}

it('applying each plan to a model of Okta yields the HR state; invalid records leave their person as they were', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(exportArb, { minLength: 1, maxLength: 4 }), async (exports) => {
      const store = await openStateStore('sqlite::memory:');
      const okta: OktaModel = emptyOkta();
      try {
        for (const people of exports) {
          write(people);
          const before = new Map([...okta.users].map(([id, u]) => [id, { ...u }]));
          const summary = await planSync(store, config, { identitySourceId: '0oa1', mode: 'delta', dryRun: false });
          await applyPlan(store, summary.planId!, okta);
          const inExport = new Map(people.map((p) => [p.id, p]));
          for (const id of ids) {
            const person = inExport.get(id);
            const user = okta.users.get(id);
            if (person?.broken && person.status === 'A') {
              expect(user).toEqual(before.get(id));
            } else if (person?.status === 'A') {
              expect(user).toEqual({
                active: true,
                profile: {
                  userName: `${id.toLowerCase()}@example.com`,
                  email: `${id.toLowerCase()}@example.com`,
                  firstName: person.first,
                  lastName: person.last,
                  department: person.dept,
                },
              });
              const groups = [...okta.memberships].filter((m) => m.endsWith(`/${id}`));
              expect(groups).toEqual([`g-${person.dept.toLowerCase()}/${id}`]);
            } else {
              expect(user?.active ?? false).toBe(false);
            }
          }
          // Nothing is left to do for the same export.
          const again = await planSync(store, config, { identitySourceId: '0oa1', mode: 'delta', dryRun: true });
          expect(again.planCounts).toEqual({
            upserts: 0,
            deactivations: 0,
            groupUpserts: 0,
            groupDeletes: 0,
            membershipUpserts: 0,
            membershipDeletes: 0,
          });
          // Full mode re-sends every valid active person.
          const full = await planSync(store, config, { identitySourceId: '0oa1', mode: 'full', dryRun: true });
          expect(full.planCounts?.upserts).toBe(people.filter((p) => p.status === 'A' && !p.broken).length);
        }
      } finally {
        await store.close();
      }
    }),
    { numRuns: 40 },
  );
});
