import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImportStatus } from '../api';
import { FakeTransport } from './fake';
import { follow } from './follow';

const st = (done: number) => ({ id: 'imp-1', state: 'running', done }) as ImportStatus;

describe('follow', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers events at once, polls every second for a dropped one, and stops both', async () => {
    vi.useFakeTimers();
    const t = new FakeTransport();
    let polls = 0;
    const seen: number[] = [];
    const stop = follow(
      t,
      'import',
      async () => st(100 + ++polls),
      (s) => seen.push(s.done),
    );
    t.emit('import', st(1));
    expect(seen).toEqual([1]);
    await vi.advanceTimersByTimeAsync(999);
    expect(polls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([1, 101]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([1, 101, 102]);

    stop();
    expect(t.listeners('import')).toBe(0);
    t.emit('import', st(2));
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual([1, 101, 102]);
    expect(polls).toBe(2);
  });

  it('ignores a failed poll and keeps polling', async () => {
    vi.useFakeTimers();
    const t = new FakeTransport();
    let polls = 0;
    const seen: number[] = [];
    const stop = follow(
      t,
      'import',
      () => (++polls === 1 ? Promise.reject(new Error('network')) : Promise.resolve(st(polls))),
      (s) => seen.push(s.done),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(polls).toBe(2);
    expect(seen).toEqual([2]);
    stop();
  });
});
