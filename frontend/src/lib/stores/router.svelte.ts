// Hash routing: #/analyze, #/batches, … so every view has a URL (and the
// end-to-end tests can open one directly).
export const views = [
  { id: 'analyze', title: 'Analyze', key: '1' },
  { id: 'batches', title: 'Batches', key: '2' },
  { id: 'history', title: 'History', key: '3' },
  { id: 'insights', title: 'Insights', key: '7' },
  { id: 'dashboard', title: 'Dashboard', key: '4' },
  { id: 'loadtest', title: 'Load test', key: '5' },
  { id: 'models', title: 'Models', key: '6' },
] as const;

export type ViewId = (typeof views)[number]['id'];

export function parseRoute(hash: string): { view: ViewId; param: string } {
  const [, name = '', param = ''] = /^#?\/?([^/?]*)\/?([^?]*)/.exec(hash) ?? [];
  const v = views.find((x) => x.id === name);
  return { view: v ? v.id : 'analyze', param: decodeURIComponent(param) };
}

class Router {
  view = $state<ViewId>('analyze');
  param = $state('');

  constructor() {
    if (typeof location !== 'undefined') {
      this.sync();
      addEventListener('hashchange', () => this.sync());
    }
  }

  private sync(): void {
    const r = parseRoute(location.hash);
    this.view = r.view;
    this.param = r.param;
  }

  go(view: ViewId, param = ''): void {
    const h = `#/${view}${param ? '/' + encodeURIComponent(param) : ''}`;
    if (typeof location !== 'undefined' && location.hash !== h) location.hash = h;
    this.view = view;
    this.param = param;
  }
}

export const router = new Router();
