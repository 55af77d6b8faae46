// The state file: written atomically (temp file + rename) after changes, with writes coalesced, so that a request
// Okta accepted is on disk before its answer leaves.
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

export class StateFile<T> {
  private readonly path: string;
  private readonly snapshot: () => T;
  private writing: Promise<void> | undefined;
  private pending: Promise<void> | undefined;

  constructor(path: string, snapshot: () => T) {
    this.path = path;
    this.snapshot = snapshot;
  }

  load(): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  /** Resolves once a write that started after this call has completed. */
  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    // A write is running with an older state: queue one more, shared by every caller until it starts.
    this.pending ??= this.writing.then(() => {
      this.pending = undefined;
      return this.save();
    });
    return this.pending;
  }

  private async write(): Promise<void> {
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(this.snapshot()));
    await rename(temp, this.path);
  }
}
