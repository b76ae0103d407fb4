// The one way the console talks to Gatehouse: /api/admin over fetch, with the console's cookie.
// The cookie is httpOnly, so no script here ever holds a credential. The CSRF token is kept in this
// module's memory only (never in storage); after a reload GET /api/admin/session hands it out again.

let csrfToken = null;

/** An answer other than 2xx, with the staff API's error envelope read. */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const error = body?.error ?? {};
    super(error.message ?? `The server answered ${status}.`);
    this.status = status;
    this.code = error.code ?? 'unknown';
    this.fields = error.fields ?? {};
    this.retryAfter = retryAfter;
  }
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Listeners told when the session has ended behind the console's back (an answer 401). */
const signedOutListeners = new Set();

export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

/** `method` on /api/admin`path`; resolves to the parsed body (null when there is none). */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (unsafe.has(method) && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/api/admin${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = parseJson(text);
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('retry-after')) || undefined;
    const error = new ApiError(response.status, parsed, retryAfter);
    if (response.status === 401 && path !== '/session') {
      csrfToken = null;
      for (const listener of signedOutListeners) listener();
    }
    throw error;
  }
  return parsed;
}

// an answer without a JSON body (a proxy's error page) is read as none
function parseJson(text) {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

/** Signs in; resolves to the staff user. */
export async function signIn(email, password) {
  const { user, csrfToken: token } = await api('POST', '/session', { email, password });
  csrfToken = token;
  return user;
}

/** The signed-in staff user, or null when the cookie is missing or dead. */
export async function currentSession() {
  try {
    const { user, csrfToken: token } = await api('GET', '/session');
    csrfToken = token;
    return user;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Ends the session on the server (the cookie is cleared there) and forgets the CSRF token. */
export async function signOut() {
  try {
    await api('DELETE', '/session');
  } finally {
    csrfToken = null;
  }
}

/** A query string of the filters that are set (empty strings and nulls are left out). */
export function query(filters) {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== null && value !== '') parameters.set(key, String(value));
  }
  const text = parameters.toString();
  return text === '' ? '' : `?${text}`;
}
