// The client's single-record group and membership calls against the emulator over real sockets: every method, 404
// as a result, Link-header paging, a membership Okta cannot take refused by record.
import { afterEach, describe, expect, it } from 'vitest';
import { OKTA_FAILURE, recordRefusalOf } from '../../contracts/okta-failure-types.ts';
import type { OktaEmulator } from '../../okta-emulator/index.ts';
import { SOURCE, startFast } from '../okta-emulator/support.ts';
import { failureOf, sswsClientOn } from '../support/okta-client.ts';

let emulator: OktaEmulator | undefined;
afterEach(() => emulator?.stop());

async function setUp() {
  emulator = await startFast();
  return { emulator, okta: sswsClientOn(emulator) };
}

describe('groups and memberships', () => {
  it('creates, reads (by id and externalId), updates and deletes a group', async () => {
    const { okta } = await setUp();
    const created = await okta.createGroup(SOURCE, {
      externalId: 'grp-1',
      profile: { displayName: 'Engines', description: 'Analytical' },
    });
    expect(created.id).toMatch(/^00g/);
    expect(await okta.getGroup(SOURCE, 'grp-1')).toMatchObject({
      externalId: 'grp-1',
      profile: { displayName: 'Engines' },
    });
    expect(await okta.getGroup(SOURCE, created.id)).toMatchObject({ externalId: 'grp-1' });
    const updated = await okta.updateGroup(SOURCE, { externalId: 'grp-1', profile: { displayName: 'Difference' } });
    expect(updated?.profile.displayName).toBe('Difference');
    expect(await okta.updateGroup(SOURCE, { externalId: 'grp-9', profile: { displayName: 'x' } })).toBeUndefined();
    expect(await okta.deleteGroup(SOURCE, 'grp-1')).toBe('deleted');
    expect(await okta.getGroup(SOURCE, 'grp-1')).toBeUndefined();
    expect(await okta.deleteGroup(SOURCE, 'grp-1')).toBe('not found');
  });

  it('adds and removes members, and lists them across pages', async () => {
    const { okta, emulator } = await setUp();
    await okta.createGroup(SOURCE, { externalId: 'grp-1', profile: { displayName: 'Engines' } });
    const ids = ['emp-1', 'emp-2', 'emp-3', 'emp-4', 'emp-5'];
    for (const externalId of ids) {
      await okta.createUser(SOURCE, {
        externalId,
        profile: { userName: `${externalId}@example.com`, email: `${externalId}@example.com` },
      });
      await okta.addGroupMember(SOURCE, 'grp-1', externalId);
    }
    expect((await okta.listGroupMembers(SOURCE, 'grp-1', 2))?.sort()).toEqual(ids);
    const pages = emulator.requests().requests.filter((r) => r.endpoint === 'list-memberships');
    expect(pages).toHaveLength(3);

    expect(await okta.removeGroupMember(SOURCE, 'grp-1', 'emp-3')).toBe('deleted');
    // Removing a non-member again: the emulator answers 204 (Okta documents nothing); an unknown group is a 404.
    expect(await okta.removeGroupMember(SOURCE, 'grp-1', 'emp-3')).toBe('deleted');
    expect(await okta.removeGroupMember(SOURCE, 'grp-9', 'emp-3')).toBe('not found');
    expect((await okta.listGroupMembers(SOURCE, 'grp-1'))?.sort()).toEqual(ids.filter((id) => id !== 'emp-3'));
    expect(await okta.listGroupMembers(SOURCE, 'grp-9')).toBeUndefined();
    await expect(okta.listGroupMembers(SOURCE, 'grp-1', 1001)).rejects.toThrow(RangeError);

    const refused = await failureOf(okta.addGroupMember(SOURCE, 'grp-9', 'emp-1'));
    expect(refused.type).toBe(OKTA_FAILURE.recordRefused);
    expect(recordRefusalOf(refused)?.externalId).toBe('emp-1');
  });
});
