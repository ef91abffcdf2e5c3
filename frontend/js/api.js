// Calls to the Extra Portion API (see API.md): JSON in and out, the session cookie, and the
// CSRF header on every unsafe request.

export class ApiError extends Error {
  constructor(status, detail, isJson) {
    super(typeof detail === 'string' ? detail : `Request failed (${status})`);
    this.status = status;
    this.detail = detail;
    this.isJson = isJson;
  }

  /** A 422 with FastAPI's validation shape: [{loc, msg, type}]. */
  get fieldErrors() {
    return this.status === 422 && Array.isArray(this.detail) ? this.detail : null;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)portion_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : '';
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) headers['X-CSRF-Token'] = csrfToken();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'We could not reach the server. Check your connection and try again.', false);
  }
  if (response.status === 204) return null;
  const isJson = (response.headers.get('content-type') || '').includes('application/json');
  const data = isJson ? await response.json() : null;
  if (!response.ok) {
    throw new ApiError(response.status, data && 'detail' in data ? data.detail : response.statusText, isJson);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);

/** Who is signed in, or null. */
export async function currentUser() {
  try {
    return await get('/api/me');
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
    throw err;
  }
}
