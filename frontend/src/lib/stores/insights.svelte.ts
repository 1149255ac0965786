// State of the Insights view: the selection (History's filters), the shape
// of the aggregates, and the aggregates of the selection last loaded.
import { api, type Import, type Insights, type InsightsQuery, type Transport } from '../api';
import { errorMessage } from '../api/errors';
import { emptyFilters, toQuery, type Filters } from './history.svelte';

export type EntitySort = 'docs' | 'mentions' | 'negative' | 'positive';

export class InsightsStore {
  /** filters is the form as typed; shown is the selection the aggregates on screen were computed for (links use it). */
  filters = $state<Filters>(emptyFilters());
  shown = $state<Filters>(emptyFilters());
  bucket = $state('');
  sort = $state<EntitySort>('docs');
  top = $state(10);
  coTop = $state(10);
  data = $state<Insights | null>(null);
  loading = $state(false);
  error = $state('');
  imports = $state<Import[]>([]);
  private readonly transport: Transport;
  private seq = 0;

  constructor(transport: Transport = api) {
    this.transport = transport;
  }

  query(f: Filters = this.shown): InsightsQuery {
    const q: InsightsQuery = { ...toQuery(f), limit: undefined, sort: this.sort, top: this.top, co_top: this.coTop };
    if (this.bucket) q.bucket = this.bucket;
    return q;
  }

  /** apply loads the aggregates of the form's selection. */
  async apply(): Promise<void> {
    this.shown = { ...this.filters, entities: [...this.filters.entities] };
    await this.load();
  }

  /** load reloads the selection on screen (after a change of bucket, sort or top). */
  async load(): Promise<void> {
    const my = ++this.seq;
    this.loading = true;
    this.error = '';
    try {
      const res = await this.transport.insights(this.query());
      if (my !== this.seq) return; // a newer load superseded this one
      this.data = res;
    } catch (e) {
      if (my !== this.seq) return;
      this.error = errorMessage(e);
    } finally {
      if (my === this.seq) this.loading = false;
    }
  }

  async loadImports(): Promise<void> {
    try {
      this.imports = await this.transport.storedImports();
    } catch {
      this.imports = []; // the picker stays a free field
    }
  }

  setSort(s: EntitySort): Promise<void> {
    this.sort = s;
    return this.load();
  }
}

export const insights = new InsightsStore();
