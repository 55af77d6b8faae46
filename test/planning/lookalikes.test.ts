import { describe, expect, it } from 'vitest';
import { KeyChanges, LoginNames } from '../../activities/planning/lookalikes.ts';

/** The lookalike pairs of one existing account and one new account with the given email. */
function lookalikes(existing: string, arriving: string) {
  const names = new LoginNames();
  names.note('E1001', { userName: 'E1001', email: existing }, false);
  names.note('E1099', { userName: 'E1099', email: arriving }, true);
  return names.pairs(() => true);
}

function keyPairs(leaving: string, arriving: string) {
  const changes = new KeyChanges();
  changes.left(leaving);
  changes.arrived(arriving);
  return changes.pairs();
}

describe('lookalike accounts', () => {
  it.each([
    ['a Cyrillic а (U+0430) for a Latin a', 'amara.okafor@example.com', '\u0430mara.okafor@example.com'],
    ['rn for m', 'mia.lee@example.com', 'rnia.lee@example.com'],
    ['the digit 1 for the letter l', 'l.chen@example.com', '1.chen@example.com'],
    ['the digit 0 for the letter O', 'O.diaz@example.com', '0.diaz@example.com'],
    ['fullwidth letters', 'jo.kim@example.com', '\uff4a\uff4f.kim@example.com'],
    ['a Greek ο (U+03BF) for a Latin o', 'jo.kim@example.com', 'j\u03bf.kim@example.com'],
    ['a zero-width space inside', 'jo.kim@example.com', 'jo.\u200bkim@example.com'],
  ])('holds a new email that differs by %s, naming the pair', (_, existing, arriving) => {
    expect(lookalikes(existing, arriving)).toEqual([{ attribute: 'email', existing: 'E1001', arriving: 'E1099' }]);
  });

  it.each([
    ['one letter less', 'anna@example.com', 'ana@example.com'],
    ['a dot less', 'lee.ho@example.com', 'leeho@example.com'],
    ['accents', 'jose.nunez@example.com', 'jos\u00e9.nu\u00f1ez@example.com'],
    ['one letter', 'ann.lee@example.com', 'ann.lea@example.com'],
    ['a Cyrillic name beside a Latin one', 'pavel@example.com', '\u043f\u0430\u0432\u0435\u043b@example.com'],
    ['case only (a shared value, refused as such)', 'Amara.Okafor@example.com', 'amara.okafor@example.com'],
  ])('does not fire on ordinary distinct names: %s', (_, existing, arriving) => {
    expect(lookalikes(existing, arriving)).toEqual([]);
  });
});

describe('suspicious key changes', () => {
  it('pairs a leaver with a new key that has the letter O for the digit 0, saying where', () => {
    expect(keyPairs('E1005', 'E1OO5')).toEqual([
      { leaving: 'E1005', arriving: 'E1OO5', difference: 'U+004F instead of U+0030 at character 3' },
    ]);
  });

  it.each([
    ['a digit more', 'E1005', 'E10005'],
    ['two digits swapped', 'E1234', 'E1243'],
  ])('does not pair ordinary distinct keys: %s', (_, leaving, arriving) => {
    expect(keyPairs(leaving, arriving)).toEqual([]);
  });
});
