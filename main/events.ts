import type { EventName, EventPayload } from '../shared/api/index';

export type EventListener = (event: EventName, payload: unknown) => void;

/** Fans the contract's events out to every transport (IPC windows, SSE streams, the tray). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // one broken subscriber (a closed window, a dropped stream) must not stop the others
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
