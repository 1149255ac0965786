// State of the Analyze view, kept across view switches.
import { api, type Aggregation, type DocumentResult, type ModelInfo, type SentimentMethod, type Task, type Transport } from '../api';
import { errorMessage } from '../api/errors';

export const aggregations: readonly Aggregation[] = ['simple', 'first', 'average', 'max', 'none'];

/** How sentiment reads a text, in the order the picker shows them. */
export const methods: readonly { value: SentimentMethod; label: string }[] = [
  { value: 'auto', label: 'auto' },
  { value: 'mean', label: 'mean of sentences' },
  { value: 'majority', label: 'majority of sentences' },
  { value: 'whole', label: 'first window only' },
];

export class AnalyzeStore {
  text = $state('');
  sentiment = $state(true);
  entities = $state(true);
  aggregation = $state<Aggregation>('simple');
  method = $state<SentimentMethod>('auto');
  model = $state(''); // "" = the active models
  result = $state<DocumentResult | null>(null);
  /** stale: the text changed since the shown result was computed. */
  get stale(): boolean {
    return this.result != null && this.result.text !== this.text;
  }
  wallMs = $state<number | null>(null);
  error = $state('');
  busy = $state(false);
  models = $state<ModelInfo[]>([]);
  private readonly transport: Transport;

  constructor(transport: Transport = api) {
    this.transport = transport;
  }

  get canRun(): boolean {
    return !this.busy && this.text.trim() !== '' && (this.sentiment || this.entities);
  }

  async loadModels(): Promise<void> {
    try {
      this.models = (await this.transport.models()).active;
    } catch {
      this.models = [];
    }
  }

  async run(): Promise<void> {
    if (!this.text.trim()) {
      this.error = 'Paste or type some text first.';
      return;
    }
    if (!this.sentiment && !this.entities) {
      this.error = 'Pick at least one task (sentiment or entities).';
      return;
    }
    this.busy = true;
    this.error = '';
    const t0 = performance.now();
    try {
      const tasks: Task[] = [...(this.sentiment ? ['sentiment' as const] : []), ...(this.entities ? ['entities' as const] : [])];
      const res = await this.transport.analyze({
        text: this.text,
        tasks,
        aggregation: this.aggregation,
        sentiment_method: this.method,
        ...(this.model ? { model: this.model } : {}),
        source: 'analyze',
      });
      this.wallMs = performance.now() - t0;
      this.result = res.results[0] ?? null;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.busy = false;
    }
  }
}

export const analyze = new AnalyzeStore();
