// tests/web/journey.mjs: the learner's page in headless Chromium (Debian's chromium, driven by
// playwright-core), against a real `sprout serve` that tests/web/test_web.py started (with the
// fake model server, or without a model).
//   node journey.mjs <scenario> <serverUrl> <screenshotDir>
// Scenarios: journey, nomodel, restart, hostile, agentfail. Each checks accessibility with axe-core (no
// serious or critical violations) on the pages it visits, and fails on a page error, a
// Content-Security-Policy violation or a dialog opened by the page.
// To stop or restart the server, or mend the model, it prints "@@ stop" / "@@ start" /
// "@@ model-ok" and waits for a line on stdin.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import path from 'node:path';

const [scenario, base, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const rl = readline.createInterface({ input: process.stdin });
const lines = rl[Symbol.asyncIterator]();
async function ask(cmd) { console.log(`@@ ${cmd}`); const r = await lines.next(); assert.equal(r.value, 'ok', `${cmd}: ${r.value}`); }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
const problems = [];
// CSP violations, as the page sees them. DOMPurify parses untrusted HTML in an inert document,
// where Chromium still reports (and blocks) an inline handler of that HTML: those reports, from
// vendor/purify.min.js, are the sanitiser at work; any other violation fails the test.
const csp = [];
await context.exposeBinding('__reportCsp', (_src, v) => { csp.push(v); });
await context.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) => window.__reportCsp({ src: e.sourceFile, dir: e.violatedDirective, sample: e.sample }));
});
const cspProblems = () => csp.filter((x) => !(String(x.src).endsWith('/vendor/purify.min.js') && x.dir === 'script-src-attr'))
  .map((x) => `CSP: ${x.dir} ${x.src} ${x.sample}`);
const page = await context.newPage();
page.setDefaultTimeout(30000);
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('dialog', (d) => { problems.push(`dialog opened: ${d.message()}`); d.dismiss(); });

let shotNo = 0;
async function shot(name) {
  shotNo += 1;
  await page.screenshot({ path: path.join(shots, `${scenario}-${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}
async function axe(where) {
  await page.evaluate(AXE);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `axe on ${where}`);
}
const nodeTitles = async () => page.locator('.graph .node .node-title').allTextContents();
const stateOf = async (title) => page.locator('.graph .node', { has: page.locator('.node-title', { hasText: title }) }).first().getAttribute('data-state');
const clean = () => assert.deepEqual([...problems, ...cspProblems()], []);

async function createTopic(title, files) {
  await page.goto(base);
  await page.getByLabel('What do you want to learn?').fill(title);
  if (files) await page.setInputFiles('#topic-files', files);
  await page.getByRole('button', { name: 'Start learning' }).click();
}

// ---------------------------------------------------------------- the whole journey
async function journey() {
  await page.goto(base);
  await page.getByRole('heading', { level: 1, name: 'Your topics' }).waitFor();
  await axe('home');
  await shot('home');

  await createTopic('Linear algebra', [{ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# Vectors\nArrows with length.\n# Matrices\nTables of numbers.\n') }]);
  await page.waitForURL(/#\/topic\//);
  // the graph grows while the topic agent runs (the fake delays its last reply)
  await page.locator('.graph .node').first().waitFor();
  assert.ok(await page.locator('.status .busy').isVisible(), 'the first concept appears while the agent still works');
  await page.locator('.activity li').first().waitFor();
  assert.match(await page.locator('.activity').textContent(), /Path planner[\s\S]*save_concept/);
  await shot('topic-growing');
  // the learner looks elsewhere while the path is being built: the run goes on (its edge, saved
  // after a delay, arrives), and coming back shows the whole path
  const branchId = decodeURIComponent(page.url().split('#/topic/')[1]);
  const nodes0 = await (await page.request.get(`${base}api/nodes?userId=00000000-0000-0000-0000-000000000000`)).json();
  const root = nodes0.find((n) => n.type === 'root' && n.branchId === branchId);
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Topics' }).click();
  await page.getByRole('link', { name: 'Linear algebra' }).waitFor();
  for (let i = 0; ; i++) {
    const edges = await (await page.request.get(`${base}api/nodes/${root.id}/dependency-edges?childType=concept`)).json();
    if (edges.length === 1) break;
    assert.ok(i < 300, 'the topic run went on after the learner left its page');
    await page.waitForTimeout(100);
  }
  await page.getByRole('link', { name: 'Linear algebra' }).click();
  await page.getByText('Your path is ready').waitFor({ timeout: 60000 });
  assert.deepEqual((await nodeTitles()).sort(), ['Matrices', 'Vectors']);
  assert.equal(await stateOf('Vectors'), 'ready');
  assert.equal(await stateOf('Matrices'), 'locked');
  assert.equal(await page.locator('.graph path.edge').count(), 1);
  assert.match(await page.locator('.activity').textContent(), /Path planner/);
  await axe('topic');
  await shot('topic-ready');

  // documents: the upload reached the topic's root node
  const docs = await (await page.request.get(`${base}api/nodes/${root.id}/documents`)).json();
  assert.deepEqual(docs.map((d) => d.originalFilename), ['notes.md']);

  // reload in the middle: everything is read back from the server
  await page.reload();
  await page.getByText('Your path is ready').waitFor({ timeout: 60000 });
  assert.deepEqual((await nodeTitles()).sort(), ['Matrices', 'Vectors']);

  // the diagnostic
  await page.locator('.graph .node', { hasText: 'Vectors' }).click();
  await page.waitForURL(/#\/concept\//);
  await page.locator('fieldset.question').nth(1).waitFor({ timeout: 60000 });
  await page.getByText('Your lessons are ready').waitFor({ timeout: 60000 });
  assert.deepEqual((await nodeTitles()).sort(), ['Vectors basics', 'Vectors practice']);
  assert.equal(await stateOf('Vectors practice'), 'locked');
  await axe('diagnostic');
  await shot('diagnostic');
  await page.getByLabel('Right one').check();
  await page.getByLabel('Your answer to question 2').fill('Arrows that have a length and a direction');
  await page.getByRole('button', { name: 'Submit my answers' }).click();
  // the refinement streams into the graph: the fake removes "Vectors practice"
  await page.locator('.graph .node', { hasText: 'Vectors practice' }).waitFor({ state: 'detached', timeout: 60000 });
  await page.getByText('Your lessons are ready').waitFor({ timeout: 60000 });
  assert.deepEqual(await nodeTitles(), ['Vectors basics']);
  assert.match(await page.locator('.activity').textContent(), /remove_subconcept/);
  await shot('refined');
  await page.reload();
  await page.locator('.diag').getByText('2 of 2 answered').waitFor({ timeout: 60000 });
  await page.getByText('Your lessons are ready').waitFor({ timeout: 60000 });

  // the tutor
  await page.locator('.graph .node', { hasText: 'Vectors basics' }).click();
  await page.waitForURL(/#\/learn\//);
  await page.locator('.lesson-card').first().waitFor({ timeout: 60000 });
  assert.match(await page.locator('.lesson-card').first().textContent(), /magnitude/);
  assert.equal(await page.locator('.lesson-card strong', { hasText: 'magnitude' }).count(), 1, 'Markdown is rendered');
  await page.getByLabel('Ask the tutor about this lesson').fill('What is a magnitude?');
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await page.locator('.convo .msg.assistant', { hasText: 'Hint' }).waitFor();
  await page.getByRole('button', { name: 'Give me a hint' }).click();
  await page.locator('.convo .msg.assistant', { hasText: 'Hint' }).nth(1).waitFor();
  await axe('lesson');
  await shot('lesson');

  // an answer with a drawing: the image goes to the tutor route
  await page.getByLabel('Drawing', { exact: true }).check();
  const pad = await page.locator('canvas.pad').boundingBox();
  await page.mouse.move(pad.x + 20, pad.y + 20);
  await page.mouse.down();
  await page.mouse.move(pad.x + 200, pad.y + 120, { steps: 8 });
  await page.mouse.up();
  await page.getByLabel('Answer', { exact: true }).fill('An arrow: its length and where it points');
  const [req] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith('/tutor') && r.method() === 'POST'),
    page.getByRole('button', { name: 'Check my answer' }).click(),
  ]);
  const sent = req.postDataJSON();
  assert.match(sent.content, /^\[ANSWER\]\nMode: draw\n/);
  assert.match(sent.drawingImageDataUrl, /^data:image\/png;base64,/);
  await page.getByText('Lesson complete').waitFor({ timeout: 60000 });
  assert.equal(await page.locator('#mastery').getAttribute('value'), '100');
  await shot('lesson-complete');

  // mastery unlocks the next concept
  await page.getByRole('link', { name: 'Back to Vectors' }).click();
  await page.getByText('Your lessons are ready').waitFor({ timeout: 60000 });
  assert.equal(await stateOf('Vectors basics'), 'mastered');
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Linear algebra' }).click();
  await page.getByText('Your path is ready').waitFor({ timeout: 60000 });
  assert.equal(await stateOf('Vectors'), 'mastered');
  assert.equal(await stateOf('Matrices'), 'ready');
  await shot('next-unlocked');

  // a phone's width, and dark
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling at 390 px');
  await shot('phone');
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await axe('topic, dark');
  await shot('dark');
  // keyboard: a node is reachable and opens with Enter
  await page.locator('.graph .node', { hasText: 'Matrices' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/concept\//);
  // a learner who comes back finds where they stand
  await page.goto(base);
  await page.getByRole('link', { name: 'Linear algebra' }).getByText('1 of 2 concepts mastered').waitFor();
  clean();
}

// ---------------------------------------------------------------- an agent fails mid-way
async function agentfail() {
  await createTopic('Chemistry');
  await page.waitForURL(/#\/topic\//);
  const err = page.locator('.status .error');
  await err.waitFor({ timeout: 60000 });
  assert.match(await err.textContent(), /The AI ran into a problem/);
  assert.doesNotMatch(await page.locator('.status').textContent(), /Your path is ready/);
  await shot('agent-failed');
  await ask('model-ok');
  await err.getByRole('button', { name: 'Try again' }).click();
  await page.getByText('Your path is ready').waitFor({ timeout: 60000 });
  assert.equal(await page.locator('.graph .node').count(), 2);
  clean();
}

// ---------------------------------------------------------------- no model configured
async function nomodel() {
  await createTopic('Music theory', [{ name: 'scales.txt', mimeType: 'text/plain', buffer: Buffer.from('Major and minor scales.') }]);
  await page.waitForURL(/#\/topic\//);
  const err = page.locator('.error.model');
  await err.waitFor();
  assert.match(await err.textContent(), /No AI model is configured/);
  if (process.env.SPROUT_AGENTS === '1') assert.match(await err.textContent(), /set ANTHROPIC_API_KEY/i, 'the server names the variables');
  assert.ok(await err.getByRole('button', { name: 'Try again' }).isVisible());
  await axe('no model');
  await shot('no-model');

  // a failed upload is shown with a retry, and the topic can go on without it
  await createTopic('Painting', [{ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }]);
  const up = page.locator('.form-status .error');
  await up.waitFor();
  assert.match(await up.textContent(), /upload failed/);
  assert.match(await up.textContent(), /Unsupported file type: image\/png/);
  assert.ok(await page.getByRole('button', { name: 'Retry the upload' }).isVisible());
  await shot('upload-failed');
  await page.getByRole('button', { name: 'Continue without documents' }).click();
  await page.waitForURL(/#\/topic\//);
  await page.locator('.status .error.model').waitFor(); // the topic run has answered

  // delete, after a confirmation (cancel keeps it)
  await page.goto(base);
  await page.getByRole('link', { name: 'Painting' }).waitFor();
  await page.getByRole('button', { name: 'Delete Painting' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.ok(await page.getByRole('link', { name: 'Painting' }).isVisible());
  await page.getByRole('button', { name: 'Delete Painting' }).click();
  await shot('confirm-delete');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('link', { name: 'Painting' }).waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'Music theory' }).waitFor(); // the list is read again
  clean();
}

// ---------------------------------------------------------------- the server goes away and comes back
async function restart() {
  await page.goto(base);
  await page.getByRole('heading', { level: 1, name: 'Your topics' }).waitFor();
  await ask('stop');
  await page.getByLabel('What do you want to learn?').fill('Astronomy');
  await page.getByRole('button', { name: 'Start learning' }).click();
  const err = page.locator('.form-status .error');
  await err.waitFor();
  assert.match(await err.textContent(), /Cannot reach the Sprout server/);
  await shot('server-down');
  await ask('start');
  await err.getByRole('button', { name: 'Try again' }).click();
  await page.waitForURL(/#\/topic\//);
  await page.getByRole('heading', { level: 1, name: 'Astronomy' }).waitFor();
  await page.locator('.status .error.model').waitFor(); // the topic run has answered (no model)
  await page.goto(base);
  await page.getByRole('link', { name: 'Astronomy' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Astronomy' }).count(), 1, 'one topic, not two');
  clean();
}

// ---------------------------------------------------------------- hostile model text
async function hostile() {
  await createTopic('<b>Bold</b> <script>window.__pwned=9</script>topic');
  await page.waitForURL(/#\/topic\//);
  await page.getByText('Your path is ready').waitFor({ timeout: 60000 });
  const titles = await nodeTitles();
  assert.equal(titles.length, 2);
  for (const t of titles) assert.match(t, /^<img src=x onerror="window.__pwned=1">/);
  assert.match(await page.locator('h1').textContent(), /<b>Bold<\/b> <script>/);
  assert.equal(await page.locator('main img, main script, .graph b').count(), 0);
  assert.match(await page.locator('.activity').textContent(), /Planning/);
  await shot('hostile-topic');
  await page.locator('.graph .node').first().click();
  await page.getByText('Your lessons are ready').waitFor({ timeout: 60000 });
  await page.locator('.graph .node').first().click();
  await page.locator('.lesson-card').first().waitFor({ timeout: 60000 });
  assert.equal(await page.locator('main img, main script').count(), 0);
  assert.match(await page.locator('.lesson-card').first().textContent(), /magnitude/);
  await shot('hostile-lesson');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  clean();
}

const scenarios = { journey, nomodel, restart, hostile, agentfail };
try {
  await scenarios[scenario]();
  console.log(`${scenario}: ok`);
} catch (e) {
  await page.screenshot({ path: path.join(shots, `${scenario}-failure.png`), fullPage: true }).catch(() => {});
  console.error(`${scenario}: FAILED at ${page.url()}\n${e.stack || e}\nproblems: ${JSON.stringify(problems)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  rl.close();
}
