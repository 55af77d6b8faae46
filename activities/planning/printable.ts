/**
 * Text fit for a terminal: control characters (ESC, CSI, NUL, carriage returns, … but not line feeds) and the
 * characters that reorder or hide text (bidirectional controls, line and paragraph separators) shown as escapes,
 * so that an HR value can never move the cursor, recolour, retitle or overwrite what a person reads.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/**
 * JSON whose strings hold no such characters raw: JSON.stringify escapes only C0 controls; the others are escaped
 * here as \uXXXX, which JSON reads back as the same text.
 */
export function printableJson(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, (char) => `\\u${hex(char)}`);
}

const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

function escape(char: string): string {
  const code = char.codePointAt(0)!;
  return code < 0x100 ? `\\x${hex(char).slice(2)}` : `\\u${hex(char)}`;
}

function hex(char: string): string {
  return char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}
