/**
 * Binary min-heap of delayed entries ordered by ready time, then insertion order
 * (so items that become ready at the same instant keep FIFO order). Entries know
 * their index, which makes "move this entry earlier" O(log n).
 */
export interface WaitingEntry<T> {
  key: unknown;
  item: T;
  readyAt: number;
  seq: number;
  index: number;
}

export class WaitingHeap<T> {
  private items: WaitingEntry<T>[] = [];

  get length(): number {
    return this.items.length;
  }

  peek(): WaitingEntry<T> | undefined {
    return this.items[0];
  }

  push(e: WaitingEntry<T>): void {
    e.index = this.items.length;
    this.items.push(e);
    this.up(e.index);
  }

  pop(): WaitingEntry<T> | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      last.index = 0;
      this.down(0);
    }
    top.index = -1;
    return top;
  }

  /** Restores the heap after `e.readyAt` decreased. */
  decreased(e: WaitingEntry<T>): void {
    this.up(e.index);
  }

  clear(): void {
    this.items = [];
  }

  private less(a: WaitingEntry<T>, b: WaitingEntry<T>): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }

  private up(i: number): void {
    const items = this.items;
    const e = items[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(e, items[p])) break;
      items[i] = items[p];
      items[i].index = i;
      i = p;
    }
    items[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const e = items[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(items[r], items[l]) ? r : l;
      if (!this.less(items[c], e)) break;
      items[i] = items[c];
      items[i].index = i;
      i = c;
    }
    items[i] = e;
    e.index = i;
  }
}
