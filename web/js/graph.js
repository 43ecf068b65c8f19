// graph.js: a small layered-DAG view for up to a few dozen nodes (concepts or subconcepts).
// Layout: layer = longest path from a node without prerequisites (cycles are cut), order within
// a layer by a few barycentre sweeps, layers top to bottom. Nodes are real <button>s (keyboard,
// focus, screen readers; tab order follows the layers), edges an SVG layer behind them.
// Titles are set with textContent only: a node's title is never parsed as HTML.
const W = 184, H = 64, GX = 28, GY = 56, PAD = 16;
const SVGNS = 'http://www.w3.org/2000/svg';
export const STATE_LABEL = { locked: 'Locked', ready: 'Ready', progress: 'In progress', mastered: 'Mastered' };

export function layout(ids, edges) {
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!preds.has(e.targetNodeId) || !preds.has(e.sourceNodeId) || e.sourceNodeId === e.targetNodeId) continue;
    preds.get(e.targetNodeId).push(e.sourceNodeId);
    succs.get(e.sourceNodeId).push(e.targetNodeId);
  }
  const layer = new Map(), visiting = new Set();
  const depth = (id) => {
    if (layer.has(id)) return layer.get(id);
    if (visiting.has(id)) return -1; // a cycle: ignore this back edge
    visiting.add(id);
    let d = 0;
    for (const p of preds.get(id)) d = Math.max(d, depth(p) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  ids.forEach(depth);
  const layers = [];
  for (const id of ids) (layers[layer.get(id)] ||= []).push(id);
  for (let i = 0; i < layers.length; i++) layers[i] ||= [];
  const pos = new Map();
  const index = () => layers.forEach((l) => l.forEach((id, i) => pos.set(id, i)));
  index();
  const bary = (id, nb) => { const n = nb.get(id).filter((x) => pos.has(x)); return n.length ? n.reduce((s, x) => s + pos.get(x), 0) / n.length : pos.get(id); };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const l of order) { const b = new Map(l.map((id) => [id, bary(id, down ? preds : succs)])); l.sort((a, c) => b.get(a) - b.get(c)); index(); }
  }
  const widest = Math.max(1, ...layers.map((l) => l.length));
  const width = widest * W + (widest - 1) * GX + 2 * PAD;
  const out = new Map();
  layers.forEach((l, li) => {
    const lw = l.length * W + (l.length - 1) * GX;
    const x0 = (width - lw) / 2;
    l.forEach((id, i) => out.set(id, { x: x0 + i * (W + GX), y: PAD + li * (H + GY), layer: li }));
  });
  return { pos: out, width, height: Math.max(1, layers.length) * (H + GY) - GY + 2 * PAD, preds };
}

export function createGraph(container, { onOpen, label = 'Concept map' } = {}) {
  const nodes = new Map(); // id -> node row
  let edges = [];          // {sourceNodeId, targetNodeId}
  let states = new Map();  // id -> 'locked' | 'ready' | 'progress' | 'mastered'
  let fresh = new Set();
  const wrap = document.createElement('div');
  wrap.className = 'graph';
  wrap.setAttribute('role', 'group');
  wrap.setAttribute('aria-label', label);
  const canvas = document.createElement('div');
  canvas.className = 'graph-canvas';
  const svg = document.createElementNS(SVGNS, 'svg');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"/></marker></defs><g class="edges"></g>';
  const empty = document.createElement('p');
  empty.className = 'muted graph-empty';
  canvas.append(svg);
  wrap.append(canvas, empty);
  container.append(wrap);
  const buttons = new Map();
  let scheduled = false;

  function render() {
    scheduled = false;
    const ids = [...nodes.keys()];
    const known = edges.filter((e) => nodes.has(e.sourceNodeId) && nodes.has(e.targetNodeId));
    const { pos, width, height } = layout(ids, known);
    empty.textContent = ids.length ? '' : 'Nothing here yet.';
    empty.hidden = ids.length > 0;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${ids.length ? height : 0}px`;
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const g = svg.querySelector('.edges');
    g.replaceChildren();
    for (const e of known) {
      const a = pos.get(e.sourceNodeId), b = pos.get(e.targetNodeId);
      const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
      const p = document.createElementNS(SVGNS, 'path');
      const my = (y1 + y2) / 2;
      p.setAttribute('d', `M${x1} ${y1}C${x1} ${my} ${x2} ${my} ${x2} ${y2 - 2}`);
      p.setAttribute('marker-end', 'url(#arrow)');
      p.setAttribute('class', `edge${states.get(e.sourceNodeId) === 'mastered' ? ' done' : ''}`);
      p.dataset.source = e.sourceNodeId;
      p.dataset.target = e.targetNodeId;
      g.append(p);
    }
    for (const [id, btn] of buttons) if (!nodes.has(id)) { btn.remove(); buttons.delete(id); }
    const ordered = ids.slice().sort((x, y) => (pos.get(x).layer - pos.get(y).layer) || (pos.get(x).x - pos.get(y).x));
    for (const id of ordered) {
      const n = nodes.get(id);
      let btn = buttons.get(id);
      if (!btn) {
        btn = document.createElement('button');
        btn.type = 'button';
        btn.dataset.id = id;
        btn.innerHTML = '<span class="node-title"></span><span class="node-state"></span>';
        btn.addEventListener('click', () => onOpen && onOpen(nodes.get(id)));
        buttons.set(id, btn);
        if (fresh.has(id)) btn.classList.add('appear');
      }
      const st = states.get(id) || 'ready';
      btn.className = `node ${st}${fresh.has(id) ? ' appear' : ''}`;
      btn.dataset.state = st;
      btn.querySelector('.node-title').textContent = n.title;
      btn.querySelector('.node-state').textContent = STATE_LABEL[st];
      if (n.desc) btn.title = n.desc; else btn.removeAttribute('title');
      const p = pos.get(id);
      btn.style.left = `${p.x}px`;
      btn.style.top = `${p.y}px`;
      canvas.append(btn); // keeps DOM (and tab) order = layout order
    }
    fresh = new Set();
  }
  const schedule = () => { if (!scheduled) { scheduled = true; requestAnimationFrame(render); } };
  return {
    el: wrap,
    set(nodeList, edgeList, stateMap) {
      nodes.clear();
      for (const n of nodeList) nodes.set(n.id, n);
      const seen = new Set();
      edges = [];
      for (const e of edgeList) {
        const k = `${e.sourceNodeId}>${e.targetNodeId}`;
        if (!seen.has(k)) { seen.add(k); edges.push({ sourceNodeId: e.sourceNodeId, targetNodeId: e.targetNodeId }); }
      }
      if (stateMap) states = stateMap;
      render();
    },
    has: (id) => nodes.has(id),
    nodes: () => [...nodes.values()],
    edges: () => edges.slice(),
    addNode(n) { if (!nodes.has(n.id)) fresh.add(n.id); nodes.set(n.id, n); schedule(); },
    addEdge(e) {
      if (!edges.some((x) => x.sourceNodeId === e.sourceNodeId && x.targetNodeId === e.targetNodeId)) edges.push({ sourceNodeId: e.sourceNodeId, targetNodeId: e.targetNodeId });
      schedule();
    },
    removeNode(id) { nodes.delete(id); edges = edges.filter((e) => e.sourceNodeId !== id && e.targetNodeId !== id); schedule(); },
    removeEdge(s, t) { edges = edges.filter((e) => !(e.sourceNodeId === s && e.targetNodeId === t)); schedule(); },
    setStates(m) { states = m; schedule(); },
  };
}
