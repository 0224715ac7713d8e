// The host's HTTP API, with the key as "Authorization: Bearer": the routes a key may open
// (GET /api/routes) and its conversations (GET/DELETE /api/conversations, docs/protocol.md).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(key, method, path) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${key}` },
    cache: 'no-store',
  });
  if (response.status === 204) return null;
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok)
    throw new ApiError(response.status, body?.error ?? 'http_' + response.status,
                       body?.message ?? response.statusText);
  return body;
}

export const listRoutes = (key) => call(key, 'GET', '/api/routes').then((b) => b.routes);

export const listConversations = (key) =>
  call(key, 'GET', '/api/conversations?limit=50').then((b) => b.conversations);

export const deleteConversation = (key, id) =>
  call(key, 'DELETE', `/api/conversations/${encodeURIComponent(id)}`);
