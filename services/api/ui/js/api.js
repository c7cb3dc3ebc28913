/**
 * The forensics API (/api/v1) with the signed-in bearer token. The token lives in sessionStorage:
 * it goes with the tab, never into a cookie the browser would send by itself.
 */

const TOKEN_KEY = "tollgate.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET /api/v1/<path> with query parameters (empty ones left out); resolves with the JSON body. */
export function get(path, query = {}) {
  return request(apiUrl(path, query), { method: "GET" }).then((response) => response.json());
}

/** GET as text: the replay report's HTML. */
export function getText(path) {
  return request(apiUrl(path, {}), { method: "GET", accept: "text/html" }).then((response) =>
    response.text(),
  );
}

export function post(path, body) {
  return request(apiUrl(path, {}), { method: "POST", body: JSON.stringify(body ?? {}) }).then((response) =>
    response.json(),
  );
}

/** Path segments are escaped by the caller with `segment`. */
export function segment(value) {
  return encodeURIComponent(String(value));
}

function apiUrl(path, query) {
  const url = new URL(`/api/v1/${path}`, location.origin);
  for (const [key, value] of Object.entries(query)) {
    // An array is one parameter per item (the search's `path`, one key each).
    for (const item of Array.isArray(value) ? value : [value])
      if (item !== undefined && item !== null && item !== "") url.searchParams.append(key, String(item));
  }
  return url;
}

async function request(url, { method, body, accept = "application/json" }) {
  const headers = { authorization: `Bearer ${token()}`, accept };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, body, cache: "no-store" });
  if (response.ok) return response;
  const message = await problemOf(response);
  if (response.status === 401) {
    clearToken();
    window.dispatchEvent(new CustomEvent("tollgate:signed-out", { detail: message }));
  }
  throw new ApiError(response.status, message);
}

async function problemOf(response) {
  const fallback = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    return String(body.message ?? body.error ?? fallback);
  } catch {
    return fallback;
  }
}

/** Whether the API accepts `value` as a token, without signing anyone out: for the sign-in form. */
export async function checkToken(value) {
  const response = await fetch(apiUrl("overview", {}), {
    headers: { authorization: `Bearer ${value}`, accept: "application/json" },
    cache: "no-store",
  });
  return response.ok
    ? undefined
    : response.status === 401
      ? "That token is not accepted."
      : await problemOf(response);
}
