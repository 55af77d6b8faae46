/** The encoding an export is read in when the source configuration names none. */
export const DEFAULT_ENCODING = 'utf-8';

/** Whether `label` names an encoding the WHATWG decoder built into Node reads (utf-8, windows-1252, latin1, …). */
export function isKnownEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}
