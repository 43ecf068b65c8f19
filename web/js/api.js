// api.js: the page's only way to the server: the project's REST routes (spec/api.md) and the
// agents' SSE streams (spec/agents.md §5, §11.1), same origin. Every failure becomes an ApiError
// whose message a learner can read; nothing here touches the DOM.
export const USER = '00000000-0000-0000-0000-000000000000';

export class ApiError extends Error {
  constructor(message, { status = 0, kind = 'http', detail = '' } = {}) {
    super(message);
    this.status = status;   // 0 when the server could not be reached
    this.kind = kind;       // 'network' | 'http' | 'model' | 'stream'
    this.detail = detail;   // the server's own words
  }
}

// Turn a server error into words for a learner; keep the server's text as detail.
function explain(status, serverMsg) {
  if (status === 503 && /model|ANTHROPIC|OPENAI|LLM|agents/i.test(serverMsg || '')) {
    return new ApiError('No AI model is configured on this server, so Sprout cannot generate ' +
      'lessons yet. ' + (serverMsg || ''), { status, kind: 'model', detail: serverMsg });
  }
  if (status === 503 || status === 429) return new ApiError('The server is busy (or restarting). Try again in a moment.', { status, detail: serverMsg });
  if (status === 502 || status === 504) return new ApiError('The AI model did not answer properly. Try again in a moment. ' + (serverMsg || ''), { status, kind: 'upstream', detail: serverMsg });
  if (status === 404) return new ApiError('This item no longer exists. ' + (serverMsg || ''), { status, detail: serverMsg });
  if (status === 413) return new ApiError('That file is too large.', { status, detail: serverMsg });
  if (status >= 400 && status < 500) return new ApiError('The server did not accept this: ' + (serverMsg || status), { status, detail: serverMsg });
  return new ApiError('Something went wrong on the server: ' + (serverMsg || `error ${status}`), { status, detail: serverMsg });
}

const unreachable = () => new ApiError('Cannot reach the Sprout server. Check that it is running, then try again.', { kind: 'network' });

async function readError(res) {
  try { const j = await res.json(); return j && typeof j.error === 'string' ? j.error : ''; } catch { return ''; }
}

export async function request(method, path, body, { signal } = {}) {
  const init = { method, headers: {}, signal };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  let res;
  try { res = await fetch(path, init); } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw unreachable();
  }
  if (!res.ok) throw explain(res.status, await readError(res));
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

const q = (o) => new URLSearchParams(o).toString();
export const api = {
  branches: () => request('GET', `/api/branches?${q({ userId: USER })}`),
  createBranch: (title) => request('POST', '/api/branches', { title, userId: USER }),
  deleteBranch: (id) => request('DELETE', `/api/branches/${encodeURIComponent(id)}`),
  nodes: () => request('GET', `/api/nodes?${q({ userId: USER })}`),
  node: (id) => request('GET', `/api/nodes/${encodeURIComponent(id)}`),
  createRoot: (branch) => request('POST', '/api/nodes', { userId: USER, type: 'root', branchId: branch.id, parentId: null, title: branch.title, desc: null }),
  edges: (parentId, childType) => request('GET', `/api/nodes/${encodeURIComponent(parentId)}/dependency-edges?${q({ childType })}`),
  progress: () => request('GET', `/api/progress?${q({ userId: USER })}`),
  upload: (nodeId, files) => {
    const fd = new FormData();
    for (const f of files) fd.append('files', f, f.name);
    return request('POST', `/api/nodes/${encodeURIComponent(nodeId)}/documents`, fd);
  },
  diagnostic: (conceptId) => request('GET', `/api/agents/concepts/${encodeURIComponent(conceptId)}/diagnostic?${q({ userId: USER })}`),
  answers: (assessmentId) => request('GET', `/api/assessments/${encodeURIComponent(assessmentId)}/answers?${q({ userId: USER })}`),
  answer: (assessmentId, a) => request('POST', `/api/assessments/${encodeURIComponent(assessmentId)}/answers`, { userId: USER, ...a }),
  sessions: (nodeId) => request('GET', `/api/chat/sessions?${q({ userId: USER, nodeId })}`),
  createSession: (nodeId) => request('POST', '/api/chat/sessions', { userId: USER, nodeId }),
  messages: (sessionId) => request('GET', `/api/chat/sessions/${encodeURIComponent(sessionId)}/messages`),
  tutor: (sessionId, content, drawingImageDataUrl) => request('POST', `/api/chat/sessions/${encodeURIComponent(sessionId)}/tutor`,
    drawingImageDataUrl ? { userId: USER, content, drawingImageDataUrl } : { userId: USER, content }),
  activeContent: (nodeId) => request('GET', `/api/nodes/${encodeURIComponent(nodeId)}/contents/active`),
};

// POST an agents route and deliver its server-sent events as onEvent(name, data) until EOF.
// Resolves when the stream ends; rejects with an ApiError (model not configured, unreachable,
// cut off). A JSON reply instead of a stream is delivered as '__json_response__'.
export async function stream(path, body, onEvent, { signal } = {}) {
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw unreachable();
  }
  if (!res.ok) throw explain(res.status, await readError(res));
  const ctype = res.headers.get('content-type') || '';
  if (!ctype.includes('text/event-stream')) {
    onEvent('__json_response__', await res.json().catch(() => null));
    return;
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const frame = (f) => {
    let name = 'message', data = null;
    for (const line of f.split('\n')) {
      if (line.startsWith('event: ')) name = line.slice(7).trim();
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (data === null) return; // comments, keep-alives
    let parsed;
    try { parsed = JSON.parse(data); } catch { return; }
    onEvent(name, parsed);
  };
  for (;;) {
    let chunk;
    try { chunk = await reader.read(); } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError('The connection to the server was lost while the AI was working. What was saved so far is kept; try again.', { kind: 'stream' });
    }
    if (chunk.done) break;
    buf += dec.decode(chunk.value, { stream: true }).replace(/\r\n/g, '\n');
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) { frame(buf.slice(0, i)); buf = buf.slice(i + 2); }
  }
  if (buf.trim()) frame(buf);
}
