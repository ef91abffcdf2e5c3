/** Where each role's own pages start: HOME_OF_ROLE in app/pages/templating.py (a test keeps
 * them in step). */
export const HOME = { cook: '/cook/', carer: '/carer/', staff: '/staff/', admin: '/admin/' };

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

/**
 * Where someone with `role` goes once signed in: `next` when it is a path of this site and not
 * among another role's pages (a carer sent on from a staff page would only read "You cannot do
 * this"), else their own home. The server's sign-in page does the same (`landing` in
 * app/pages/templating.py).
 */
export function landingPath(role, next, origin) {
  const home = HOME[role] || '/';
  const path = safeNextPath(next, origin, home);
  const { pathname } = new URL(path, origin);
  const elsewhere = Object.entries(HOME).some(
    ([other, start]) => other !== role && (pathname.startsWith(start) || pathname === start.slice(0, -1)),
  );
  return elsewhere ? home : path;
}
