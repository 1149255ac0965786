import { describe, expect, it } from 'vitest';
import { fixLocale } from './locale';

describe('fixLocale', () => {
  it('replaces a language tag that Intl rejects (WebKitGTK under LANG=C)', () => {
    class FakeNavigator {
      get language(): string {
        return 'C';
      }
    }
    const nav = new FakeNavigator() as unknown as Navigator;
    expect(() => new Intl.NumberFormat(nav.language)).toThrow(RangeError);
    expect(fixLocale(nav)).toBe(true);
    expect(nav.language).toBe('en-US');
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });
  it('leaves a valid tag alone', () => {
    class FakeNavigator {
      get language(): string {
        return 'de-DE';
      }
    }
    const nav = new FakeNavigator() as unknown as Navigator;
    expect(fixLocale(nav)).toBe(false);
    expect(nav.language).toBe('de-DE');
  });
});
