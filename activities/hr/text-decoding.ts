import { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { SourceUnreadable } from './source-record.ts';

/**
 * The text of an export's bytes in `encoding`, with its byte order mark dropped. Bytes that are not valid in the
 * encoding refuse the export with the line and column where they are: they are never read as U+FFFD, which would
 * put a different name into Okta. A UTF-16 byte order mark switches a UTF-8 source to UTF-16 (as csv-parse does).
 */
export function decodedText(bytes: Readable, encoding: string): Readable {
  // Object mode passes the strings on as they are (a byte stream would encode them and decode them again).
  return Readable.from(decodedChunks(bytes, encoding), { objectMode: true });
}

/** The text of a whole body (an HTTP page), decoded as `decodedText` decodes a stream. */
export async function decodedBody(body: Uint8Array, encoding: string): Promise<string> {
  let text = '';
  for await (const part of decodedChunks([body], encoding)) text += part;
  return text;
}

/** The same text as chunks, for a reader that iterates them itself. */
export async function* decodedChunks(
  bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  encoding: string,
): AsyncGenerator<string> {
  let label = new TextDecoder(encoding).encoding;
  let decoder: TextDecoder | undefined;
  const where = new Position();
  let markPending = true; // a byte order mark may still come
  let previous: Uint8Array | undefined;
  let head: Uint8Array | undefined; // a first chunk too short to tell a UTF-16 byte order mark
  for await (const arrived of bytes) {
    let chunk = arrived;
    if (!decoder) {
      chunk = head ? Buffer.concat([head, arrived]) : arrived;
      if (chunk.length < 2) {
        head = chunk;
        continue;
      }
      if (label === 'utf-8' && chunk[0] === 0xff && chunk[1] === 0xfe) label = 'utf-16le';
      if (label === 'utf-8' && chunk[0] === 0xfe && chunk[1] === 0xff) label = 'utf-16be';
      // The mark is dropped below, once: Node's decoder also drops a second one when the first comes split.
      decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    }
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw invalidBytes(label, where, markPending, pending(label, previous), chunk);
    }
    if (markPending && text !== '') {
      markPending = false;
      text = text.replace(/^\uFEFF/, '');
    }
    where.advance(text);
    previous = chunk;
    if (text !== '') yield text;
  }
  let last: Uint8Array | undefined;
  if (!decoder) {
    if (!head) return;
    // The whole export is one byte.
    decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    last = head;
  }
  try {
    const rest = decoder.decode(last);
    if (rest !== '') yield markPending ? rest.replace(/^\uFEFF/, '') : rest;
  } catch {
    throw new SourceUnreadable(
      `the export ends in the middle of a character (not valid ${label} at line ${where.line}, column ${where.column})`,
    );
  }
}

/** Line and column (1-based, in characters) where the text read so far ends, counting lines as csv-parse does. */
class Position {
  line = 1;
  column = 1;
  private afterCr = false;

  /** Counts with the regular expression engine: a loop over every character of an export costs as much as parsing it. */
  advance(text: string): void {
    if (text === '') return;
    const breaks = text.match(LINE_BREAK)?.length ?? 0;
    // A CRLF split between two chunks is one line break, counted at its CR.
    const splitCrlf = this.afterCr && text.startsWith('\n') ? 1 : 0;
    this.line += breaks - splitCrlf;
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    const rest = lastBreak === -1 ? text : text.slice(lastBreak + 1);
    this.column = (lastBreak === -1 ? this.column : 1) + codePoints(rest);
    this.afterCr = text.endsWith('\r');
  }
}

const LINE_BREAK = /\r\n|\r|\n/g;
const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

function codePoints(text: string): number {
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

/**
 * The bytes at the end of the previous chunk that the decoder still holds: the start of a UTF-8 character the
 * chunk did not complete (a lead byte and its continuation bytes, at most three).
 */
function pending(label: string, previous: Uint8Array | undefined): Uint8Array {
  if (!previous || label !== 'utf-8') return new Uint8Array(0);
  for (let back = 1; back <= Math.min(3, previous.length); back++) {
    const byte = previous[previous.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? previous.subarray(previous.length - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

/**
 * The refusal of bytes the decoder rejected in `chunk`: where they are is found by the same decoder, as the longest
 * start of the chunk it accepts (decoding with `stream` holds back an unfinished character, so the start of the bad
 * sequence is where the accepted text ends).
 */
function invalidBytes(
  label: string,
  where: Position,
  markPending: boolean,
  carried: Uint8Array,
  chunk: Uint8Array,
): SourceUnreadable {
  const bytes = Buffer.concat([carried, chunk]);
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const middle = (good + bad) >>> 1;
    if (accepts(label, bytes.subarray(0, middle))) good = middle;
    else bad = middle;
  }
  const before = new TextDecoder(label, { ignoreBOM: true }).decode(bytes.subarray(0, good), { stream: true });
  where.advance(markPending ? before.replace(/^\uFEFF/, '') : before);
  const hint = label === 'utf-8' ? '; if the export is in another encoding, name it in source.encoding' : '';
  return new SourceUnreadable(`not valid ${label} at line ${where.line}, column ${where.column}${hint}`);
}

function accepts(label: string, bytes: Uint8Array): boolean {
  try {
    new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
