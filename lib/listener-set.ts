import type { Logger } from './log';

/** Listeners of one kind of news: one that throws is logged and the others still hear it. */
export class ListenerSet<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  add(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        this.log.error(`${this.what} listener failed`, { error });
      }
    }
  }
}
