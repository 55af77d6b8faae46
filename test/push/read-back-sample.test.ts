import { describe, expect, it } from 'vitest';
import { chooseReadBacks, type ReadBack } from '../../activities/push/read-back-sample.ts';
import { people } from '../support/push-harness.ts';

const ids = (chosen: ReadBack[]) => chosen.map((r) => (r.kind === 'upsert' ? r.item.externalId : r.externalId));

describe('who a session reads back', () => {
  const clearing = people(3, { from: 100 }).map((p) => ({ ...p, profile: { ...p.profile, lastName: null } }));

  it('reads a small session whole', () => {
    const { chosen, unchecked } = chooseReadBacks(people(8), ['gone-1'], { sample: 9, max: 100, deactivations: true });
    expect(ids(chosen)).toEqual(['gone-1', ...people(8).map((p) => p.externalId)]);
    expect(unchecked).toBe(0);
  });

  it('reads every deactivation and clearing of a big one, then an even spread of the rest, within the maximum', () => {
    const upserts = [...people(50), ...clearing];
    const sample = chooseReadBacks(upserts, ['gone-1', 'gone-2'], { sample: 5, max: 100, deactivations: true });
    expect(ids(sample.chosen)).toEqual([
      'gone-1',
      'gone-2',
      'emp-100',
      'emp-101',
      'emp-102',
      'emp-0',
      'emp-10',
      'emp-20',
      'emp-30',
      'emp-40',
    ]);
    expect(sample.unchecked).toBe(45);
    const capped = chooseReadBacks(upserts, ['gone-1', 'gone-2'], { sample: 5, max: 4, deactivations: true });
    expect(ids(capped.chosen)).toEqual(['gone-1', 'gone-2', 'emp-100', 'emp-101']);
    expect(capped.unchecked).toBe(51);
    // The clearing the maximum left out, for when Okta is seen ignoring clearing.
    expect(ids(capped.moreClearing)).toEqual(['emp-102']);
    expect(sample.moreClearing).toEqual([]);
    expect(chooseReadBacks(upserts, [], { sample: 5, max: 0, deactivations: true }).chosen).toEqual([]);
  });

  it('leaves deactivations unchecked where Okta cannot show them', () => {
    const { chosen, unchecked } = chooseReadBacks(people(2), ['gone-1'], { sample: 10, max: 10, deactivations: false });
    expect(ids(chosen)).toEqual(['emp-0', 'emp-1']);
    expect(unchecked).toBe(1);
  });
});
