/**
 * The first `limit` items by row number, whatever order they come in: for report lists (invalid records, samples)
 * whose members are known only at the end, held in bounded memory.
 */
export class FirstRows<T extends { row: number }> {
  readonly #limit: number;
  readonly #items: T[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(item: T): void {
    const items = this.#items;
    if (items.length >= this.#limit && (this.#limit === 0 || items.at(-1)!.row < item.row)) return;
    let at = items.length;
    while (at > 0 && items[at - 1]!.row > item.row) at--;
    items.splice(at, 0, item);
    if (items.length > this.#limit) items.pop();
  }

  get items(): readonly T[] {
    return this.#items;
  }
}
