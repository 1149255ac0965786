// WebKitGTK reports navigator.language "C" when the process runs under
// LANG=C, and Intl rejects that tag; libraries that format numbers with
// navigator.language (uPlot does, at import) would then throw before the app
// starts. This module is imported first and substitutes "en-US" for an
// invalid tag.
function valid(tag: string | undefined): boolean {
  if (!tag) return false;
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

export function fixLocale(nav: Navigator | undefined = typeof navigator === 'undefined' ? undefined : navigator): boolean {
  if (!nav || valid(nav.language)) return false;
  const proto = Object.getPrototypeOf(nav) as object;
  Object.defineProperty(proto, 'language', { get: () => 'en-US', configurable: true });
  Object.defineProperty(proto, 'languages', { get: () => ['en-US'], configurable: true });
  return true;
}

fixLocale();
