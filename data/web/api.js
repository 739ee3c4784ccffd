// api.js — the daemon's Web API (/api/v1) from the browser. The token the
// user signs in with is kept in sessionStorage only (gone with the tab).

const TOKEN_KEY = 'talkingbits.token';

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export function signedIn() {
  return getToken() !== null;
}

// An answer other than 2xx: the API's message and, for a 400, what is
// wrong with each field ({"error", "fields": {FIELD: WHY}}).
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `the server answered ${status}`);
    this.status = status;
    this.fields = (body && body.fields) || {};
  }
}

let onUnauthorized = () => {};

export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

async function send(method, path, body, token) {
  const headers = {};
  const bearer = token === undefined ? getToken() : token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, { error: `cannot reach the daemon: ${error.message}` });
  }
  return response;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return new ApiError(response.status, body);
}

// The JSON answer of METHOD /api/v1PATH with BODY (undefined: none).
export async function api(method, path, body, token) {
  const response = await send(method, path, body, token);
  if (response.status === 401 && token === undefined) onUnauthorized();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  return response.json();
}

// The answer as a Blob (audio), for a request that answers with a file.
export async function apiBlob(method, path, body) {
  const response = await send(method, path, body);
  if (response.status === 401) onUnauthorized();
  if (!response.ok) throw await errorOf(response);
  return response.blob();
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;
