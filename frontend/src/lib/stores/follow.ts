// Shared by the stores that watch a long-running job (imports, load tests).
import type { EventName, EventPayloads, Transport } from '../api';

/**
 * follow keeps a running job's status current: its events are the fast path,
 * and a poll every second covers a dropped event. Both go to on; the returned
 * function stops both.
 */
export function follow<E extends EventName, P>(
  transport: Transport,
  event: E,
  poll: () => Promise<P>,
  on: (st: EventPayloads[E] | P) => void,
): () => void {
  const off = transport.subscribe(event, on);
  const timer = setInterval(() => {
    poll().then(on, () => {});
  }, 1000);
  return () => {
    off();
    clearInterval(timer);
  };
}
