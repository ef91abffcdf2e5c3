/**
 * Where to go after signing in: `next` only when it is a path of this site, else `fallback`.
 *
 * Browsers read `\` as `/` and drop tabs and newlines from URLs, so `/\evil.example` and
 * `/<TAB>/evil.example` would leave the site like `//evil.example`: anything but a plain
 * path, resolved against this origin and still on it, falls back.
 */
export function safeNextPath(next, origin, fallback) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return fallback;
  // Backslashes, control characters (tab, newlines) and spaces: never in a path we link to.
  if (/[\\\s\u0000-\u001f\u007f-\u009f]/.test(next)) return fallback;
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  // "/.//evil.example" resolves to the path "//evil.example", which leaves the site when
  // assigned to location (an outside check).
  if (url.origin !== origin || url.pathname.startsWith('//')) return fallback;
  return url.pathname + url.search + url.hash;
}
