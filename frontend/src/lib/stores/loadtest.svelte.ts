// State of the Load test view: the form, the running test's live progress,
// the final report, the saved runs and a comparison of two of them.
import {
  api,
  type Capacity,
  type LoadTestConfig,
  type LoadTestMode,
  type LoadTestRun,
  type LoadTestStatus,
  type LoadTestSummary,
  type LoadTestTask,
  type ReportFormat,
  type Transport,
} from '../api';
import { errorMessage } from '../api/errors';
import { follow } from './follow';

/** Default thresholds per task from DESIGN.md (single-text "acceptable" targets). */
export const defaultThresholds: Record<LoadTestTask, string[]> = {
  sentiment: ['p95<25ms', 'errors<1%'],
  entities: ['p95<50ms', 'errors<1%'],
  analyze: ['p95<75ms', 'errors<1%'],
};

/** The form's modes: a load test's two, and the capacity search. */
export type FormMode = LoadTestMode | 'findmax';

/** Default SLO of a capacity search per task (DESIGN.md's "acceptable" single-text targets, as p99). */
export const defaultSLO: Record<LoadTestTask, string> = {
  sentiment: 'p99<25ms',
  entities: 'p99<50ms',
  analyze: 'p99<75ms',
};

const lines = (v: string): string[] =>
  v
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

export interface LivePoint {
  t: number; // seconds since start
  p50: number | null;
  p95: number | null;
  p99: number | null;
  sent: number;
  completed: number;
  errors: number;
}

export class LoadTestStore {
  form = $state({
    name: '',
    task: 'sentiment' as LoadTestTask,
    mode: 'open' as FormMode,
    rate: 50,
    arrivals: 'uniform' as 'uniform' | 'poisson',
    // Capacity search (mode "findmax").
    slo: defaultSLO.sentiment,
    startRate: 10,
    maxRate: 0, // 0 = the server's default
    stepS: 3,
    maxTimeS: 300,
    users: 8,
    rampS: 0,
    durationS: 10,
    thresholds: defaultThresholds.sentiment.join('\n'),
    texts: '',
    // "bypass": every request is computed (what the engine costs); "include": repeated texts may be cache hits.
    cache: 'bypass' as 'bypass' | 'include',
  });
  status = $state<LoadTestStatus | null>(null);
  live = $state.raw<LivePoint[]>([]);
  report = $state<LoadTestRun | null>(null);
  runs = $state<LoadTestSummary[]>([]);
  compare = $state<string[]>([]);
  compared = $state<LoadTestRun[]>([]);
  error = $state('');
  /** notice is the outcome of the last download ("downloading …", "saved …"). */
  notice = $state('');
  private stop: (() => void) | null = null;
  private readonly transport: Transport;

  constructor(transport: Transport = api) {
    this.transport = transport;
  }

  get running(): boolean {
    return this.status?.state === 'running';
  }

  config(): LoadTestConfig {
    const f = this.form;
    let cfg: LoadTestConfig;
    if (f.mode === 'findmax') {
      cfg = {
        task: f.task,
        mode: 'open',
        duration_ns: Math.round(Number(f.stepS) * 1e9),
        find_max: { slo: lines(f.slo), start_rate: Number(f.startRate), max_duration_ns: Math.round(Number(f.maxTimeS) * 1e9) },
      };
      if (Number(f.maxRate) > 0 && cfg.find_max) cfg.find_max.max_rate = Number(f.maxRate);
    } else {
      cfg = { task: f.task, mode: f.mode, duration_ns: Math.round(Number(f.durationS) * 1e9), thresholds: lines(f.thresholds) };
      if (f.mode === 'open') cfg.rate = Number(f.rate);
      else cfg.users = Number(f.users);
      if (Number(f.rampS) > 0) cfg.ramp_ns = Math.round(Number(f.rampS) * 1e9);
    }
    if (f.mode !== 'closed' && f.arrivals === 'poisson') cfg.arrivals = 'poisson';
    if (f.cache === 'include') cfg.cache = 'include';
    if (f.name.trim()) cfg.name = f.name.trim();
    const texts = lines(f.texts);
    if (texts.length) cfg.texts = texts;
    return cfg;
  }

  /**
   * capacity is the capacity search to show: the running one's steps so
   * far, else the shown report's.
   */
  get capacity(): Capacity | null {
    if (this.running && this.status?.capacity) return this.status.capacity;
    return this.report?.capacity ?? null;
  }

  /** validate returns a message for the first invalid field, or "". */
  validate(): string {
    const f = this.form;
    if (f.mode === 'findmax') {
      if (!lines(f.slo).length) return 'Give an SLO such as p99<50ms.';
      if (!(Number(f.startRate) > 0)) return 'The start rate must be more than 0 requests per second.';
      if (Number(f.maxRate) < 0 || (Number(f.maxRate) > 0 && Number(f.maxRate) < Number(f.startRate))) return 'The max rate must be at least the start rate (or 0 for the server’s limit).';
      if (!(Number(f.stepS) > 0) || Number(f.stepS) > 600) return 'Each step lasts more than 0 and at most 600 seconds.';
      // A step may run 5 s (the grace period) past its end to let requests finish.
      if (!(Number(f.maxTimeS) >= Number(f.stepS) + 5) || Number(f.maxTimeS) > 3600) return 'The search’s time limit is between one step (plus 5 s) and one hour.';
      return '';
    }
    if (!(Number(f.durationS) > 0)) return 'Duration must be more than 0 seconds.';
    if (Number(f.durationS) > 3600) return 'Duration is at most one hour.';
    if (f.mode === 'open' && !(Number(f.rate) > 0)) return 'Rate must be more than 0 requests per second.';
    if (f.mode === 'closed' && !(Number(f.users) >= 1)) return 'Use at least one virtual user.';
    if (Number(f.rampS) < 0 || Number(f.rampS) > Number(f.durationS)) return 'The ramp must be between 0 and the duration.';
    return '';
  }

  async start(): Promise<void> {
    const msg = this.validate();
    if (msg) {
      this.error = this.formError = msg;
      return;
    }
    this.error = '';
    this.notice = '';
    this.report = null;
    this.live = [];
    try {
      this.stopWatching();
      this.status = await this.transport.startLoadTest(this.config());
      this.watch();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /**
   * update applies a status (from an event or a poll) while a test runs. One
   * test runs at a time, and its id changes from the temporary "run-…" to the
   * saved run's id when it ends, so statuses are not matched by id; once the
   * test has ended, later statuses are ignored until the next start.
   */
  update(st: LoadTestStatus | null): void {
    if (!st || !this.status || this.status.state !== 'running') return;
    this.status = st;
    const p = st.progress;
    if (p) {
      const t = p.elapsed_ns / 1e9;
      const last = this.live[this.live.length - 1];
      if (!last || t > last.t) {
        const ls = p.last_second;
        const pt: LivePoint = {
          t,
          p50: ls && ls.completed ? ls.p50_ns / 1e6 : null,
          p95: ls && ls.completed ? ls.p95_ns / 1e6 : null,
          p99: ls && ls.completed ? ls.p99_ns / 1e6 : null,
          sent: ls?.sent ?? 0,
          completed: ls?.completed ?? 0,
          errors: ls?.errors ?? 0,
        };
        this.live = [...this.live, pt].slice(-600);
      }
    }
    if (st.state !== 'running') {
      this.stopWatching();
      if (st.state === 'done') this.error = ''; // a valid run leaves no old error behind
      if (st.report) this.report = st.report;
      else if (st.state === 'done') void this.transport.loadTest(st.id).then((r) => (this.report = r), () => {});
      void this.loadRuns();
    }
  }

  private watch(): void {
    this.stop = follow(this.transport, 'loadtest', () => this.transport.currentLoadTest(), (st) => this.update(st));
  }

  private stopWatching(): void {
    this.stop?.();
    this.stop = null;
  }

  /** resume re-attaches to a test that is already running (after a view switch or reload). */
  async resume(): Promise<void> {
    try {
      const st = await this.transport.currentLoadTest();
      if (st && st.state === 'running' && !this.stop) {
        this.status = st;
        this.watch();
      }
    } catch {
      /* no running test */
    }
  }

  async cancel(): Promise<void> {
    if (!this.status) return;
    try {
      await this.transport.cancelLoadTest(this.status.id);
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async loadRuns(): Promise<void> {
    try {
      this.runs = await this.transport.loadTests();
      if (this.error.startsWith('Saved runs could not be listed')) this.error = '';
    } catch (e) {
      this.error = `Saved runs could not be listed: ${errorMessage(e)}`;
    }
  }

  async open(id: string): Promise<void> {
    try {
      this.report = await this.transport.loadTest(id);
      this.live = [];
      this.error = '';
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.transport.deleteLoadTest(id);
      this.compare = this.compare.filter((x) => x !== id);
      if (this.report?.id === id) this.report = null;
      await this.loadRuns();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /**
   * formChanged clears an error about the form once the form is valid
   * again, so that no stale message stays above a valid setting.
   */
  formChanged(): void {
    if (this.error && this.error === this.formError && !this.validate()) this.error = '';
  }

  private formError = '';

  /** download saves the shown report as JSON, CSV or a self-contained HTML page. */
  async download(format: ReportFormat): Promise<void> {
    const id = this.report?.id;
    if (!id) return;
    try {
      this.notice = await this.transport.exportLoadTest(id, format);
    } catch (e) {
      this.notice = '';
      this.error = `The report could not be saved: ${errorMessage(e)}`;
    }
  }

  /** toggleCompare keeps at most two runs selected (the newest choice replaces the oldest). */
  async toggleCompare(id: string): Promise<void> {
    this.compare = this.compare.includes(id) ? this.compare.filter((x) => x !== id) : [...this.compare, id].slice(-2);
    if (this.compare.length === 2) {
      try {
        this.compared = await Promise.all(this.compare.map((x) => this.transport.loadTest(x)));
      } catch (e) {
        this.error = errorMessage(e);
      }
    } else this.compared = [];
  }
}

export const loadtest = new LoadTestStore();
