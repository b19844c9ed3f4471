/**
 * An unbounded-by-design but capped FIFO between a push side (pub/sub callbacks) and one async
 * consumer (a subscription generator). Waiting ends on a new item or when the signal aborts.
 * Past `max` items the queue drops everything and remembers that it overflowed: the consumer
 * then tells its client to resynchronise instead of holding an ever-growing backlog in memory.
 */
export class AsyncQueue<T> {
  private items: T[] = [];
  private head = 0;
  private wake?: () => void;
  overflowed = false;

  constructor(private readonly max = 10_000) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.size >= this.max) {
      this.items = [];
      this.head = 0;
      this.overflowed = true;
    } else {
      this.items.push(item);
    }
    this.wake?.();
  }

  /** The next item; undefined once the signal aborted or after an overflow (see `overflowed`). */
  async next(signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (signal?.aborted || this.overflowed) return undefined;
      if (this.size > 0) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.wake = undefined;
          signal?.removeEventListener("abort", done);
          resolve();
        };
        this.wake = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
