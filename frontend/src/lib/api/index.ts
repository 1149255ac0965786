// The api module: the one place that knows the transport. Everything else
// imports `api` (calls) and the generated types from here.
import { HttpTransport } from './http';
import type { Transport } from './transport';
import { WailsTransport, wailsAvailable } from './wails';

export * from './models.gen';
export * from './loadtest';
export type { Transport, ImportInput, EventName, EventPayloads, ExportFormat } from './transport';
export { ApiError, errorMessage } from './errors';
export { HttpTransport, csvHeader, query } from './http';
export { WailsTransport, wailsAvailable } from './wails';

/** createTransport picks Wails when the page runs in the desktop window, else HTTP. */
export function createTransport(w: unknown = globalThis): Transport {
  if (wailsAvailable(w)) return new WailsTransport(w);
  const token = typeof location !== 'undefined' ? new URLSearchParams(location.search).get('token') ?? undefined : undefined;
  return new HttpTransport(token ? { token } : {});
}

export const api: Transport = createTransport();
