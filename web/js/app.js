// app.js: the learner's page. Hash routes (#/, #/topic/<branchId>, #/concept/<nodeId>,
// #/learn/<nodeId>) so a reload or a bookmark lands where the learner was; everything shown is
// read back from the server (the database keeps it all), following the original client's use
// of the API (spec/agents.md §11): the topic run on opening a topic, the diagnostic and the
// concept run on opening a concept, tutor turns on a subconcept.
import { api, stream, USER, ApiError } from './api.js';
import { createGraph, STATE_LABEL } from './graph.js';
import { renderMarkdown, h } from './md.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
let aborter = null; // the current view's requests and streams
let epoch = 0;      // bumped on every navigation: a view that finished loading late stays away

// ---------- shared pieces ----------

function setCrumbs(items) {
  crumbs.replaceChildren(...items.map(([label, href], i) => h('li', {},
    href && i < items.length - 1 ? h('a', { href }, label) : h('span', { 'aria-current': i === items.length - 1 ? 'page' : false }, label))));
}

function title(text, sub) {
  document.title = `${text} · Sprout`;
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, text), sub ? h('p', { class: 'muted' }, sub) : null);
}

// An error where it happened, in plain words, with a way to try again.
function errorBox(err, retry, label = 'Try again') {
  const msg = err instanceof ApiError ? err.message : `Something went wrong: ${err && err.message ? err.message : err}`;
  const box = h('div', { class: `error ${err && err.kind ? err.kind : ''}`, role: 'alert' }, h('p', {}, msg));
  if (err && err.kind === 'model') box.append(h('p', { class: 'muted' }, 'Whoever runs this server configures a model and restarts it; what you learned so far is kept.'));
  if (retry) box.append(h('button', { type: 'button', class: 'secondary', onclick: () => retry() }, label));
  return box;
}

function busy(text) { return h('p', { class: 'busy', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text); }

function mastered(p) { return !!p && (!!p.completedAt || Number(p.masteryScore) >= 0.7); }

// Node states from progress rows (a node counts as done at completedAt or mastery ≥ 0.7, as in the
// original client; a concept also when all of its subconcepts are), locked while a prerequisite
// is not done.
export function computeStates(list, edges, progress, allNodes) {
  const prog = new Map(progress.map((p) => [p.nodeId, p]));
  const kids = new Map();
  for (const n of allNodes) if (n.parentId) (kids.get(n.parentId) || kids.set(n.parentId, []).get(n.parentId)).push(n);
  const done = (n) => {
    if (mastered(prog.get(n.id))) return true;
    const subs = (kids.get(n.id) || []).filter((k) => k.type === 'subconcept');
    return n.type === 'concept' && subs.length > 0 && subs.every((s) => mastered(prog.get(s.id)));
  };
  const started = (n) => { const p = prog.get(n.id); return (p && (Number(p.masteryScore) > 0 || Number(p.attemptsCount) > 0)) || (kids.get(n.id) || []).some((k) => prog.has(k.id)); };
  const byId = new Map(list.map((n) => [n.id, n]));
  const out = new Map();
  for (const n of list) {
    const preds = edges.filter((e) => e.targetNodeId === n.id && byId.has(e.sourceNodeId)).map((e) => byId.get(e.sourceNodeId));
    out.set(n.id, done(n) ? 'mastered' : preds.some((p) => !done(p)) ? 'locked' : started(n) ? 'progress' : 'ready');
  }
  return out;
}

// The side panel: what the agents say and do, as it happens.
function activityPanel() {
  const list = h('ol', { class: 'act-list' });
  const log = h('div', { class: 'activity', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'act-h', tabindex: '0' }, list);
  const panel = h('aside', { class: 'side', 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, 'What the AI is doing'), log);
  const add = (kind, who, text, md) => {
    const body = h('div', { class: 'act-text' });
    if (md) renderMarkdown(body, text); else body.textContent = text;
    list.append(h('li', { class: `act ${kind}` }, h('span', { class: 'act-who' }, who), body));
    while (list.children.length > 200) list.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  };
  const agentName = (a) => {
    const s = String(a || 'agent');
    if (s === 'topic') return 'Path planner';
    if (s === 'concept_refinement') return 'Path refiner';
    if (s.startsWith('subconcept_bootstrap:')) return `Concept builder · ${s.slice(21)}`;
    return s;
  };
  const onEvent = (name, d) => {
    d = d || {};
    switch (name) {
      case 'agent_start': add('start', agentName(d.agent), 'started'); break;
      case 'agent_reasoning': add('reason', agentName(d.agent), d.text || '', true); break;
      case 'tool_call': add('tool', agentName(d.agent || ''), `uses ${d.tool}${d.input && d.input.title ? `: ${d.input.title}` : ''}`); break;
      case 'tool_result': add('result', agentName(d.agent || ''), `${d.tool}: ${d.summary || ''}`); break;
      case 'agent_done': add('done', agentName(d.agent), d.conceptCount != null ? `finished: ${d.conceptCount} concepts` : 'finished'); break;
      case 'agent_error': add('err', agentName(d.agent), `failed: ${d.message || 'unknown error'}`); break;
      case 'diagnostic_status': add('start', 'Diagnostic', `${d.answeredCount ?? 0} of ${d.requiredAnswers ?? 0} answered`); break;
      default: break;
    }
  };
  return { panel, onEvent, note: (t) => add('start', 'Sprout', t) };
}

// Run an agents stream into a graph + activity panel, with a status line and retry.
// The topic run is not stopped when the learner opens another page of the app: the server
// cancels a run whose last reader leaves (docs/AGENTS.md), and the topic agent's unsaved
// concepts and edges would be lost for good (a later run only replays what was saved). So it
// keeps reading in the background, and leaving or reloading the page while one is running asks
// first. Concept runs are redone on every visit and are stopped with their page.
let liveRuns = 0;
window.addEventListener('beforeunload', (e) => { if (liveRuns > 0) { e.preventDefault(); e.returnValue = ''; } });

function runStream({ path, status, graph, activity, accept, onDone, what, keepGoing = false }) {
  const my = epoch;
  const go = async () => {
    status.replaceChildren(busy(what));
    const signal = keepGoing ? undefined : aborter.signal;
    const failures = [];
    let counted = keepGoing;
    if (counted) liveRuns += 1;
    try {
      await stream(path, { userId: USER }, (name, d) => {
        activity.onEvent(name, d);
        if (name === 'agent_error') failures.push((d && d.message) || 'unknown error');
        if (name === 'node_created' && d.node && accept(d.node)) graph.addNode(d.node);
        else if (name === 'edge_created' && d.edge) graph.addEdge(d.edge);
        else if (name === 'node_removed') graph.removeNode(d.nodeId);
        else if (name === 'edge_removed') graph.removeEdge(d.sourceNodeId, d.targetNodeId);
      }, { signal });
      if (counted) { liveRuns -= 1; counted = false; }
      if (my !== epoch) return; // the learner is elsewhere now
      status.replaceChildren();
      if (failures.length) {
        const e = new ApiError(`The AI ran into a problem and stopped part of the work: ${failures[0]}. What it saved is kept.`, { kind: 'agent' });
        await onDone(e);
        status.replaceChildren(errorBox(e, go));
        return;
      }
      await onDone(null);
    } catch (e) {
      if (counted) { liveRuns -= 1; counted = false; }
      if (e.name === 'AbortError' || my !== epoch) return;
      status.replaceChildren(errorBox(e, go));
      await onDone(e);
    }
  };
  return go();
}

function askConfirm(text, okLabel) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
  });
}

// ---------- #/ : topics ----------

const TYPES = { pdf: 'application/pdf', md: 'text/markdown', markdown: 'text/markdown', txt: 'text/plain', text: 'text/plain' };
function typedFile(f) {
  if (Object.values(TYPES).includes(f.type)) return f;
  const ext = (f.name.split('.').pop() || '').toLowerCase();
  return new File([f], f.name, { type: TYPES[ext] || f.type || 'application/octet-stream' });
}

async function viewHome() {
  setCrumbs([['Topics', '#/']]);
  const listBox = h('div', { id: 'topics' }, busy('Loading your topics…'));
  const input = h('input', { id: 'topic-title', name: 'title', required: true, maxlength: '200', autocomplete: 'off', placeholder: 'e.g. Linear algebra' });
  const files = h('input', { id: 'topic-files', name: 'files', type: 'file', multiple: true, accept: '.pdf,.md,.markdown,.txt,application/pdf,text/plain,text/markdown' });
  const formStatus = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit' }, 'Start learning');
  const form = h('form', { class: 'card new-topic', 'aria-labelledby': 'new-h' },
    h('h2', { id: 'new-h' }, 'Learn something new'),
    h('label', { for: 'topic-title' }, 'What do you want to learn?'), input,
    h('label', { for: 'topic-files' }, 'Your own material (optional: PDF, Markdown or text, up to 5 files)'), files,
    h('div', { class: 'row' }, submit), formStatus);
  main.replaceChildren(title('Your topics', 'Name a topic and Sprout builds a learning path for you.'), form,
    h('section', { 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, 'Continue learning'), listBox));

  const load = async () => {
    listBox.replaceChildren(busy('Loading your topics…'));
    try {
      const [branches, { nodes, progress }] = await Promise.all([api.branches(), loadAll()]);
      if (!branches.length) { listBox.replaceChildren(h('p', { class: 'muted' }, 'No topics yet.')); return; }
      // where the learner stands in each topic: mastered concepts (edges do not matter for that)
      const summary = (b) => {
        const root = nodes.find((n) => n.type === 'root' && n.branchId === b.id);
        const concepts = root ? nodes.filter((n) => n.parentId === root.id && n.type === 'concept') : [];
        if (!concepts.length) return 'not started';
        const st = computeStates(concepts, [], progress, nodes);
        const done = concepts.filter((c) => st.get(c.id) === 'mastered').length;
        return `${done} of ${concepts.length} concepts mastered`;
      };
      listBox.replaceChildren(h('ul', { class: 'topics' }, branches.slice().reverse().map((b) => h('li', { class: 'topic' },
        h('a', { href: `#/topic/${encodeURIComponent(b.id)}` }, b.title, h('span', { class: 'muted topic-sum' }, summary(b))),
        h('button', { type: 'button', class: 'icon danger-text', 'aria-label': `Delete ${b.title}`, onclick: async () => {
          if (!(await askConfirm(`Delete “${b.title}” and everything learned in it? This cannot be undone.`, 'Delete'))) return;
          try { await api.deleteBranch(b.id); await load(); } catch (e) { listBox.prepend(errorBox(e, load, 'Reload')); }
        } }, 'Delete')))));
    } catch (e) { listBox.replaceChildren(errorBox(e, load)); }
  };

  let created = null; // {branch, root} once made, so a retry only redoes what failed
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) { input.focus(); return; }
    submit.disabled = true;
    const picked = [...files.files].map(typedFile);
    try {
      if (!created || created.branch.title !== t) {
        formStatus.replaceChildren(busy('Creating the topic…'));
        const branch = await api.createBranch(t);
        const root = await api.createRoot(branch);
        created = { branch, root };
      }
      if (picked.length) {
        formStatus.replaceChildren(busy(`Uploading ${picked.length} document${picked.length > 1 ? 's' : ''}…`));
        try { await api.upload(created.root.id, picked); } catch (e) {
          const go = () => { location.hash = `#/topic/${encodeURIComponent(created.branch.id)}`; };
          formStatus.replaceChildren(errorBox(new ApiError(`The topic was created, but the upload failed: ${e.detail || e.message}`, { kind: e.kind, status: e.status }), () => form.requestSubmit(), 'Retry the upload'),
            h('button', { type: 'button', class: 'secondary', onclick: go }, 'Continue without documents'));
          submit.disabled = false;
          return;
        }
      }
      location.hash = `#/topic/${encodeURIComponent(created.branch.id)}`;
    } catch (e) {
      formStatus.replaceChildren(errorBox(e, () => form.requestSubmit()));
      submit.disabled = false;
    }
  });
  await load();
}

// ---------- #/topic/<branchId> : the concept graph ----------

async function loadAll() {
  const [nodes, progress] = await Promise.all([api.nodes(), api.progress()]);
  return { nodes, progress };
}

async function viewTopic(branchId) {
  const my = epoch;
  setCrumbs([['Topics', '#/'], ['Topic', null]]);
  main.replaceChildren(busy('Opening the topic…'));
  let branch, root, data;
  try {
    const branches = await api.branches();
    branch = branches.find((b) => b.id === branchId);
    if (!branch) throw new ApiError('This topic no longer exists.', { status: 404 });
    data = await loadAll();
    root = data.nodes.find((n) => n.type === 'root' && n.branchId === branchId);
    if (!root) { root = await api.createRoot(branch); data.nodes.push(root); }
  } catch (e) { if (my === epoch) main.replaceChildren(errorBox(e, () => viewTopic(branchId))); return; }
  if (my !== epoch) return;

  setCrumbs([['Topics', '#/'], [branch.title, null]]);
  const status = h('div', { class: 'status' });
  const graphBox = h('section', { class: 'graph-box', 'aria-labelledby': 'g-h' }, h('h2', { id: 'g-h' }, 'Your learning path'),
    h('p', { class: 'muted legend' }, 'Arrows point from a prerequisite to what builds on it. ', legend()), status);
  const activity = activityPanel();
  main.replaceChildren(title(branch.title), h('div', { class: 'split' }, graphBox, activity.panel));
  const graph = createGraph(graphBox, { label: `Concepts of ${branch.title}`, onOpen: (n) => { location.hash = `#/concept/${encodeURIComponent(n.id)}`; } });

  const refresh = async () => {
    const d = await loadAll();
    const concepts = d.nodes.filter((n) => n.parentId === root.id && n.type === 'concept');
    const edges = await api.edges(root.id, 'concept');
    const all = new Map(concepts.map((n) => [n.id, n]));
    for (const n of graph.nodes()) if (!all.has(n.id) && n.type === 'concept' && n.parentId === root.id) all.set(n.id, n);
    const list = [...all.values()];
    const es = [...edges, ...graph.edges()];
    graph.set(list, es, computeStates(list, es, d.progress, d.nodes));
  };
  try { await refresh(); } catch (e) { status.replaceChildren(errorBox(e, () => viewTopic(branchId))); return; }
  runStream({
    path: `/api/agents/topics/${encodeURIComponent(root.id)}/run`, status, graph, activity, what: 'Building your learning path…', keepGoing: true,
    accept: (n) => n.type === 'concept' && n.parentId === root.id,
    onDone: async (err) => {
      try { await refresh(); } catch { /* the error box of the stream is enough */ }
      if (!err) status.replaceChildren(h('p', { class: 'ok', role: 'status' }, graph.nodes().length ? 'Your path is ready. Choose a concept to begin.' : 'No concepts yet.'));
    },
  });
}

function legend() {
  return h('span', { class: 'legend-items' }, Object.entries(STATE_LABEL).map(([k, v]) => h('span', { class: `chip ${k}` }, v)));
}

// ---------- #/concept/<id> : diagnostic + subconcept graph ----------

async function viewConcept(conceptId) {
  const my = epoch;
  main.replaceChildren(busy('Opening the concept…'));
  let concept, parent, data;
  try {
    concept = await api.node(conceptId);
    data = await loadAll();
    parent = data.nodes.find((n) => n.id === concept.parentId);
  } catch (e) { if (my === epoch) main.replaceChildren(errorBox(e, () => viewConcept(conceptId))); return; }
  if (my !== epoch) return;
  const branchHref = parent && parent.branchId ? `#/topic/${encodeURIComponent(parent.branchId)}` : '#/';
  setCrumbs([['Topics', '#/'], [parent ? parent.title : 'Topic', branchHref], [concept.title, null]]);

  const diagBox = h('section', { class: 'card diag', 'aria-labelledby': 'd-h' }, h('h2', { id: 'd-h' }, 'What do you already know?'));
  const status = h('div', { class: 'status' });
  const graphBox = h('section', { class: 'graph-box', 'aria-labelledby': 'g-h' }, h('h2', { id: 'g-h' }, 'Lessons in this concept'),
    h('p', { class: 'muted legend' }, legend()), status);
  const activity = activityPanel();
  main.replaceChildren(title(concept.title, concept.desc || ''), h('div', { class: 'split' }, h('div', { class: 'stack' }, diagBox, graphBox), activity.panel));
  const graph = createGraph(graphBox, { label: `Lessons of ${concept.title}`, onOpen: (n) => { location.hash = `#/learn/${encodeURIComponent(n.id)}`; } });

  const refresh = async () => {
    const d = await loadAll();
    const subs = d.nodes.filter((n) => n.parentId === concept.id && n.type === 'subconcept');
    const edges = await api.edges(concept.id, 'subconcept');
    graph.set(subs, edges, computeStates(subs, edges, d.progress, d.nodes));
  };
  try { await refresh(); } catch (e) { status.replaceChildren(errorBox(e, () => viewConcept(conceptId))); }

  const refine = (what) => runStream({
    path: `/api/agents/concepts/${encodeURIComponent(concept.id)}/run`, status, graph, activity, what,
    accept: (n) => n.type === 'subconcept' && n.parentId === concept.id,
    onDone: async (err) => {
      try { await refresh(); } catch { /* shown by the stream */ }
      if (!err) status.replaceChildren(h('p', { class: 'ok', role: 'status' }, 'Your lessons are ready. Choose one to start.'));
    },
  });
  await diagnostic(concept, diagBox, () => refine('Adapting your lessons to your answers…'));
  refine('Preparing your lessons…');
}

function parseOptions(q) {
  try { const o = typeof q.options === 'string' ? JSON.parse(q.options) : q.options; return Array.isArray(o) ? o.map(String) : null; } catch { return null; }
}
const norm = (s) => String(s ?? '').trim().toLowerCase().replace(/\s+/g, ' ');

async function diagnostic(concept, box, onSubmitted) {
  const body = h('div', { class: 'diag-body' }, busy('Preparing a few questions…'));
  box.append(body);
  const load = async () => {
    body.replaceChildren(busy('Preparing a few questions…'));
    let d, answers;
    try {
      d = await api.diagnostic(concept.id);
      answers = await api.answers(d.assessment.id);
    } catch (e) { body.replaceChildren(errorBox(e, load)); return; }
    const answered = new Map(answers.map((a) => [a.questionId, a]));
    const qs = d.questions || [];
    if (!qs.length) { body.replaceChildren(h('p', { class: 'muted' }, 'No questions for this concept.')); return; }
    const count = h('p', { class: 'muted', role: 'status' }, `${qs.filter((q) => answered.has(q.id)).length} of ${qs.length} answered`);
    const form = h('form', { class: 'survey' });
    qs.forEach((q, i) => {
      const prev = answered.get(q.id);
      const opts = parseOptions(q);
      const qid = `q-${i}`;
      const fs = h('fieldset', { class: `question${prev ? ' answered' : ''}`, 'data-qid': q.id });
      fs.append(h('legend', {}, `${i + 1}. `, q.prompt));
      if (opts && opts.length) {
        opts.forEach((o, j) => {
          const id = `${qid}-${j}`;
          fs.append(h('div', { class: 'opt' }, h('input', { type: 'radio', name: qid, id, value: o, disabled: !!prev, checked: prev && prev.selectedOption === o }), h('label', { for: id }, o)));
        });
      } else {
        fs.append(h('label', { for: qid, class: 'sr-only' }, `Your answer to question ${i + 1}`),
          h('textarea', { id: qid, name: qid, rows: '2', disabled: !!prev, placeholder: 'Your answer (leave empty if you don’t know)' }, prev ? prev.answerText || '' : ''));
      }
      if (prev) fs.append(h('p', { class: 'muted' }, 'Answered'));
      form.append(fs);
    });
    const submit = h('button', { type: 'submit' }, 'Submit my answers');
    const fstatus = h('div', { class: 'form-status' });
    form.append(h('div', { class: 'row' }, submit), fstatus);
    if (qs.every((q) => answered.has(q.id))) submit.disabled = true;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      fstatus.replaceChildren(busy('Saving your answers…'));
      try {
        let n = 0;
        for (const [i, q] of qs.entries()) {
          if (answered.has(q.id)) continue;
          const opts = parseOptions(q);
          let selectedOption = null, answerText = null;
          if (opts && opts.length) { const c = form.querySelector(`input[name="q-${i}"]:checked`); selectedOption = c ? c.value : null; } else { answerText = form.querySelector(`#q-${i}`).value.trim() || null; }
          if (selectedOption == null && answerText == null) continue;
          const given = selectedOption ?? answerText;
          const isCorrect = q.correctAnswer != null ? norm(given) === norm(q.correctAnswer) : null;
          const row = await api.answer(d.assessment.id, { questionId: q.id, answerText, selectedOption, isCorrect, score: isCorrect == null ? null : isCorrect ? 1 : 0, feedback: null });
          answered.set(q.id, row);
          n++;
        }
        if (!n) { fstatus.replaceChildren(h('p', { role: 'alert', class: 'error' }, 'Answer at least one question first.')); submit.disabled = false; return; }
        await load();
        await onSubmitted();
      } catch (e) { fstatus.replaceChildren(errorBox(e, () => form.requestSubmit())); submit.disabled = false; }
    });
    body.replaceChildren(count, form);
  };
  await load();
}

// ---------- #/learn/<id> : the tutor ----------

const stripTags = (c) => String(c || '').replace(/^\[(ANSWER|CLARIFICATION)\]\s*\n?/, '').replace(/^Mode:\s*\w+\s*\n?/i, '');

async function pickSession(nodeId) {
  const list = (await api.sessions(nodeId)).slice().sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
  return list.find((s) => !s.endedAt) || list[0] || api.createSession(nodeId);
}

async function viewLearn(nodeId) {
  const my = epoch;
  main.replaceChildren(busy('Opening the lesson…'));
  let node, concept, topic;
  try {
    node = await api.node(nodeId);
    concept = node.parentId ? await api.node(node.parentId).catch(() => null) : null;
    topic = concept && concept.parentId ? await api.node(concept.parentId).catch(() => null) : null;
  } catch (e) { if (my === epoch) main.replaceChildren(errorBox(e, () => viewLearn(nodeId))); return; }
  if (my !== epoch) return;
  setCrumbs([['Topics', '#/'], [topic ? topic.title : 'Topic', topic && topic.branchId ? `#/topic/${encodeURIComponent(topic.branchId)}` : '#/'],
    [concept ? concept.title : 'Concept', concept ? `#/concept/${encodeURIComponent(concept.id)}` : '#/'], [node.title, null]]);

  const meter = h('progress', { max: '100', value: '0', id: 'mastery', 'aria-label': 'Mastery' });
  const meterText = h('span', { class: 'muted', id: 'mastery-text' }, '');
  const cards = h('ol', { class: 'cards' });
  const convo = h('ol', { class: 'convo-list' });
  const convoBox = h('div', { class: 'convo', 'aria-live': 'polite', 'aria-labelledby': 'v-h', tabindex: '0' }, convo);
  const status = h('div', { class: 'status' });
  const done = h('div', { class: 'done-box' });

  const modeName = 'mode';
  const modes = ['text', 'code', 'draw'].map((m) => h('span', { class: 'mode' }, h('input', { type: 'radio', name: modeName, id: `mode-${m}`, value: m, checked: m === 'text' }), h('label', { for: `mode-${m}` }, { text: 'Text', code: 'Code', draw: 'Drawing' }[m])));
  const answer = h('textarea', { id: 'answer', rows: '4', placeholder: 'Write your answer…' });
  const pad = drawingPad();
  pad.el.hidden = true;
  const check = h('button', { type: 'submit' }, 'Check my answer');
  const hint = h('button', { type: 'button', class: 'secondary' }, 'Give me a hint');
  const answerForm = h('form', { class: 'card answer', 'aria-labelledby': 'a-h' }, h('h2', { id: 'a-h' }, 'Your answer'),
    h('fieldset', { class: 'modes' }, h('legend', {}, 'Answer as'), modes),
    h('label', { for: 'answer' }, 'Answer'), answer, pad.el, h('div', { class: 'row' }, check, hint));
  const ask = h('input', { id: 'ask', autocomplete: 'off', placeholder: 'e.g. What does this word mean?' });
  const askForm = h('form', { class: 'card ask' }, h('label', { for: 'ask' }, 'Ask the tutor about this lesson'), h('div', { class: 'row' }, ask, h('button', { type: 'submit', class: 'secondary' }, 'Ask')));

  main.replaceChildren(title(node.title, node.desc || ''),
    h('div', { class: 'mastery' }, h('label', { for: 'mastery' }, 'Mastery '), meter, ' ', meterText),
    h('div', { class: 'split learn' },
      h('div', { class: 'stack' }, h('section', { 'aria-labelledby': 'c-h' }, h('h2', { id: 'c-h' }, 'Lesson'), cards), done, status, answerForm, askForm),
      h('aside', { class: 'side', 'aria-labelledby': 'v-h' }, h('h2', { id: 'v-h' }, 'Conversation'), convoBox)));
  for (const r of answerForm.querySelectorAll('input[name=mode]')) r.addEventListener('change', () => { pad.el.hidden = r.value !== 'draw' || !r.checked; if (r.checked && r.value === 'draw') pad.el.hidden = false; });

  let session;
  const forms = [answerForm, askForm];
  const setBusy = (on, text) => { for (const f of forms) for (const c of f.elements) c.disabled = on; status.replaceChildren(on ? busy(text) : ''); };

  const reload = async () => {
    const [msgs, content, progress] = await Promise.all([api.messages(session.id), api.activeContent(node.id), api.progress()]);
    const p = progress.find((x) => x.nodeId === node.id);
    const pct = Math.round(100 * Math.max(0, Math.min(1, Number(p ? p.masteryScore : 0))));
    meter.value = pct;
    meterText.textContent = `${pct}%${mastered(p) ? ' · mastered' : ''}`;
    let list = [];
    try { list = content && content.cards ? JSON.parse(content.cards) : []; } catch { list = []; }
    cards.replaceChildren(...(Array.isArray(list) ? list : []).map((c, i) => h('li', { class: 'card lesson-card' },
      h('h3', {}, `Part ${i + 1}`), renderMarkdown(h('div', { class: 'md' }), c.explanation || ''),
      c.question ? h('div', { class: 'question-box' }, h('strong', {}, 'Question'), renderMarkdown(h('div', { class: 'md' }), c.question)) : null)));
    if (!list.length && content && content.explanationMd) cards.append(h('li', { class: 'card lesson-card' }, renderMarkdown(h('div', { class: 'md' }), content.explanationMd)));
    convo.replaceChildren(...msgs.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => {
      const clar = m.kind === 'hint_request' || m.kind === 'hint_response';
      const li = h('li', { class: `msg ${m.role}${clar ? ' clar' : ''}` }, h('span', { class: 'who' }, m.role === 'user' ? 'You' : 'Tutor'));
      if (m.role === 'assistant') li.append(renderMarkdown(h('div', { class: 'md' }), String(m.content || '').replace(/^[ \t>*_#-]*question[ -]?type\s*[:–—-].*$/gim, ''))); else li.append(h('div', { class: 'md' }, stripTags(m.content)));
      return li;
    }));
    convoBox.scrollTop = convoBox.scrollHeight;
    return msgs;
  };

  const showDone = () => {
    done.replaceChildren(h('div', { class: 'ok card', role: 'status' }, h('p', {}, 'Lesson complete. Well done!'),
      concept ? h('a', { class: 'button', href: `#/concept/${encodeURIComponent(concept.id)}` }, `Back to ${concept.title}`) : null));
    answerForm.hidden = true;
  };

  const turn = async (content, drawing) => {
    setBusy(true, 'The tutor is thinking…');
    try {
      const r = await api.tutor(session.id, content, drawing);
      await reload();
      setBusy(false);
      if (r && r.isComplete) showDone();
      return true;
    } catch (e) {
      setBusy(false);
      try { await reload(); } catch { /* keep the error below */ }
      status.replaceChildren(errorBox(e, () => { status.replaceChildren(); turn(content, drawing); }));
      return false;
    }
  };

  try {
    session = await pickSession(node.id);
    const msgs = await reload();
    if (session.endedAt) showDone();
    else if (!msgs.length) await turn('');
  } catch (e) { status.replaceChildren(errorBox(e, () => viewLearn(nodeId))); return; }

  answerForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const mode = answerForm.querySelector('input[name=mode]:checked').value;
    let text = answer.value.trim();
    let drawing;
    if (mode === 'draw') {
      if (!pad.used()) { status.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'Draw your answer on the pad first.')); return; }
      drawing = pad.dataUrl();
      text = `${text}${text ? '\n' : ''}[Drawing image attached]`;
    }
    if (!text) { answer.focus(); status.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'Write an answer first.')); return; }
    if (await turn(`[ANSWER]\nMode: ${mode}\n${text}`, drawing)) { answer.value = ''; pad.clear(); }
  });
  hint.addEventListener('click', () => turn('[CLARIFICATION]\nCan you give me a hint for the current question?'));
  askForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = ask.value.trim();
    if (!t) { ask.focus(); return; }
    if (await turn(`[CLARIFICATION]\n${t}`)) ask.value = '';
  });
}

function drawingPad() {
  const canvas = h('canvas', { width: '560', height: '320', class: 'pad', 'aria-label': 'Drawing pad: draw with a mouse, pen or finger' });
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear drawing');
  const el = h('div', { class: 'pad-box' }, canvas, h('div', { class: 'row' }, clear));
  const ctx = canvas.getContext('2d');
  let drawing = false, used = false;
  const reset = () => { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height); used = false; };
  reset();
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; };
  canvas.addEventListener('pointerdown', (e) => { drawing = true; used = true; canvas.setPointerCapture(e.pointerId); ctx.beginPath(); ctx.moveTo(...at(e)); });
  canvas.addEventListener('pointermove', (e) => { if (!drawing) return; ctx.lineTo(...at(e)); ctx.strokeStyle = '#1b1b1b'; ctx.lineWidth = 3; ctx.lineCap = 'round'; ctx.stroke(); });
  canvas.addEventListener('pointerup', () => { drawing = false; });
  clear.addEventListener('click', reset);
  return { el, clear: reset, used: () => used, dataUrl: () => canvas.toDataURL('image/png') };
}

// ---------- router ----------

async function route() {
  if (aborter) aborter.abort();
  aborter = new AbortController();
  epoch += 1;
  const [, kind, id] = (location.hash || '#/').match(/^#\/?([a-z]*)\/?(.*)$/) || [];
  const key = decodeURIComponent(id || '');
  try {
    if (kind === 'topic' && key) await viewTopic(key);
    else if (kind === 'concept' && key) await viewConcept(key);
    else if (kind === 'learn' && key) await viewLearn(key);
    else await viewHome();
  } catch (e) {
    if (e.name !== 'AbortError') main.replaceChildren(errorBox(e, route));
  }
  const h1 = main.querySelector('h1');
  if (h1 && document.activeElement === document.body) h1.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => { route().then(() => { const h1 = main.querySelector('h1'); if (h1) h1.focus(); }); });
route();
