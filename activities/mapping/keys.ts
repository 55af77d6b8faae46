/**
 * Values that name a person or a group (externalId, manager references, group values, userName, email): trimmed
 * and put in Unicode's composed form (NFC), which changes no character anyone can see; a value with a character
 * nobody can see or type on purpose is refused, because keeping or dropping it would each name someone else.
 */
export type KeyOutcome = { ok: true; key: string } | { ok: false; reason: string };

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff\u00ad\u180e]/u;
// Control characters (NUL included), then format characters, line and paragraph separators and odd spaces.
const CONTROL = /\p{Cc}/u;
const SPACE = /[^\P{Zs} ]/u;
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u;

const ANY = new RegExp([CONTROL, BIDI, ZERO_WIDTH, SPACE, INVISIBLE].map((r) => r.source).join('|'), 'u');

/** The key `text` names, or why it names nobody for certain. `undefined` for an empty value. */
export function normalizedKey(text: string | undefined): KeyOutcome | undefined {
  if (text === undefined) return undefined;
  const key = text.trim().normalize('NFC');
  if (key === '') return undefined;
  const reason = invisibleCharacter(key);
  return reason === undefined ? { ok: true, key } : { ok: false, reason };
}

/** Why a key holds a character that is not meant to be there (naming the character and where), if it does. */
export function invisibleCharacter(key: string): string | undefined {
  // One pass of the regular expression engine for the usual key; the character is looked for only when there is one.
  if (!ANY.test(key)) return undefined;
  let at = 0;
  for (const char of key) {
    at++;
    const kind = CONTROL.test(char)
      ? 'a control character'
      : BIDI.test(char)
        ? 'a bidirectional control'
        : ZERO_WIDTH.test(char)
          ? 'an invisible (zero-width) character'
          : SPACE.test(char)
            ? 'a space other than the ordinary one'
            : INVISIBLE.test(char)
              ? 'an invisible, private-use or unassigned character'
              : undefined;
    if (kind !== undefined) return `contains ${kind} (${codePoint(char)}) at character ${at}`;
  }
  return undefined;
}

/** A character as Unicode names it: U+ and its code point in hex. */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
