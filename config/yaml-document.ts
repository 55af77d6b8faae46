import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';

/** A parsed YAML config file, with where each of its syntax errors is (never a quote of its text). */
export interface YamlDocument {
  document: Document.Parsed;
  /** `line L, column C: what is wrong`, one per syntax error; empty when the file parsed. */
  errors: string[];
  /** Line and column of an offset in the text. */
  position: (offset: number) => { line: number; column: number };
}

/**
 * Parses YAML without the parser's pretty errors: those quote the offending line, which may hold a secret.
 * Positions come from the parser's own line counter.
 */
export function parseYamlDocument(text: string): YamlDocument {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const errors = document.errors.map((error) => {
    const { line, column } = position(error.pos[0]);
    return `line ${line}, column ${column}: ${error.message}`;
  });
  return { document, errors, position };
}
