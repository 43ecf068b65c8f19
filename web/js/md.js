// md.js: untrusted Markdown (model replies, lesson cards) → sanitised DOM. marked (Debian's
// libjs-marked) parses, DOMPurify (node-dompurify) removes scripts, handlers, styles, forms and
// foreign links' openers; without either library the text is shown as plain text.
const PURIFY = { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'img'], FORBID_ATTR: ['style', 'class', 'id'] };

export function renderMarkdown(el, text) {
  el.replaceChildren();
  const src = String(text ?? '');
  const { marked, DOMPurify } = globalThis;
  if (!marked || !DOMPurify || !DOMPurify.isSupported) { el.textContent = src; return el; }
  const html = marked.parse(src, { mangle: false, headerIds: false });
  const frag = DOMPurify.sanitize(html, { ...PURIFY, RETURN_DOM_FRAGMENT: true });
  for (const a of frag.querySelectorAll('a')) { a.rel = 'noopener noreferrer nofollow'; a.target = '_blank'; }
  el.append(frag);
  return el;
}

// Element helper: h('p', {class: 'x'}, 'text', child). Strings always become text nodes.
export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
