// Live metrics: one subscription to the "metrics" event, shared by every
// chart, kept as a bounded history so charts can draw lines over time.
import { api, type MetricsSnapshot, type SLOState, type Transport } from '../api';
import type { ProfilerSnapshot } from '../api/snapshot';
import { asSnapshot } from '../api/snapshot';

/** One sample of the history, flattened for charts. Times in seconds, latencies in ms. */
export interface Sample {
  t: number;
  snap: ProfilerSnapshot;
  queue: number;
}

export const HISTORY = 240; // samples kept: 60 s at 4 Hz

export class MetricsStore {
  latest = $state<ProfilerSnapshot | null>(null);
  /** slo is, per task in SLO mode, what its batcher chose and why (engine.slo). */
  slo = $state<Partial<Record<string, SLOState>>>({});
  samples = $state.raw<Sample[]>([]);
  connected = $state(false);
  private users = 0;
  private off: (() => void) | null = null;
  private readonly transport: Transport;

  constructor(transport: Transport = api) {
    this.transport = transport;
  }

  /** push adds one snapshot; exported for tests and used by the subscription. */
  push(m: MetricsSnapshot): void {
    const snap = asSnapshot(m.profiler);
    if (!snap) return;
    const t = Date.parse(m.time || snap.time) / 1000;
    const depth = Object.values(m.engine?.queue_depth ?? {}).reduce((a, b) => a + b, 0);
    const queue = snap.queue_depth || depth;
    this.latest = snap;
    this.slo = m.engine?.slo ?? {};
    const next = this.samples.length >= HISTORY ? this.samples.slice(1) : this.samples.slice();
    next.push({ t: Number.isFinite(t) ? t : Date.now() / 1000, snap, queue });
    this.samples = next;
    this.connected = true;
  }

  /** start subscribes while at least one view watches; the returned function stops watching. */
  start(): () => void {
    if (this.users++ === 0) this.off = this.transport.subscribe('metrics', (m) => this.push(m));
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.users === 0) {
        this.off?.();
        this.off = null;
        this.connected = false;
      }
    };
  }
}

export const metrics = new MetricsStore();
