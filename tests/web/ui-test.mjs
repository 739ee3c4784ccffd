// ui-test.mjs — the web admin UI driven in headless Chromium (Debian's,
// through playwright-core) against a running daemon; run by
// tests/test-web-ui.c, which starts PostgreSQL and the daemon and passes:
//   TB_URL         the daemon's HTTP address     TB_TOKEN      its API token
//   TB_SIP         its SIP address (host:port)   TB_CALL       tb-call
//   TB_CALLER_WAV  what the caller says          TB_SCREENSHOTS  where to put them
//   TB_CHROMIUM    the browser                   TB_PROFILE    a new profile directory
//   TB_RULES       the agent's rules file        TB_UAS        sipp answering one call (host:port)
// Each step prints "ok - STEP"; the last line is "all steps passed".

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = process.env;
for (const name of ['TB_URL', 'TB_TOKEN', 'TB_SIP', 'TB_CALL', 'TB_CALLER_WAV', 'TB_SCREENSHOTS', 'TB_CHROMIUM', 'TB_PROFILE',
  'TB_RULES', 'TB_UAS'])
  if (!env[name]) throw new Error(`${name} is not set`);
const URL_BASE = env.TB_URL;
const AGENT = 'webtest';
const TOOL = 'hours';
const started = Date.now();

const context = await chromium.launchPersistentContext(env.TB_PROFILE, {
  executablePath: env.TB_CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);
const problems = [];
page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
page.on('console', (message) => {
  // Answers other than 2xx are logged by the browser; the steps check them.
  if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
    problems.push(`console: ${message.text()}`);
});

async function shot(name) {
  await page.screenshot({ path: join(env.TB_SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function step(name, body) {
  const t0 = Date.now();
  try {
    await body();
  } catch (error) {
    console.log(`not ok - ${name}: ${error.stack || error}`);
    if (problems.length) console.log(`script errors so far:\n${problems.join('\n')}`);
    await shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
    await context.close();
    process.exit(1);
  }
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

// Every control has a label (its own, or aria-label).
async function assertLabelled(where) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
    .map((e) => e.outerHTML.slice(0, 100)));
  assert.deepEqual(unlabelled, [], `${where}: controls without a label`);
}

async function assertFits(where) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width + 1, `${where}: the page is ${scroll} px wide in a ${width} px window`);
}

async function go(hash, heading) {
  await page.goto(`${URL_BASE}/ui/#${hash}`);
  await page.locator('h1', { hasText: heading }).first().waitFor();
}

// The error shown next to the field the API named.
function fieldError(name) {
  return page.locator(`[data-for="${name}"] .error`).first();
}

async function api(method, path, body) {
  const response = await fetch(`${URL_BASE}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${env.TB_TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

function placeCall(seconds = 8) {
  return new Promise((resolve, reject) => {
    execFile(env.TB_CALL, [`sip:2000@${env.TB_SIP}`, '--play', env.TB_CALLER_WAV, '--hangup-after', String(seconds)],
      { timeout: (seconds + 22) * 1000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`tb-call: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(JSON.parse(stdout));
      });
  });
}

await step('/ redirects to the UI, which asks for the token', async () => {
  await page.goto(`${URL_BASE}/`);
  assert.match(page.url(), /\/ui\/$/);
  await page.locator('h1', { hasText: 'Sign in' }).waitFor();
  await assertLabelled('sign-in');
  // The keyboard: the token field has the focus, Tab goes on to the button.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.field), 'token');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign in');
  await shot('signin');
});

await step('a wrong token is refused next to the field', async () => {
  await page.getByLabel('API token', { exact: true }).fill('not-the-token');
  await page.getByLabel('API token', { exact: true }).press('Enter');
  await fieldError('token').waitFor();
  assert.match(await fieldError('token').textContent(), /not valid/);
  assert.equal(await page.getByLabel('API token', { exact: true }).getAttribute('aria-invalid'), 'true');
  await shot('signin-error');
});

await step('sign in with the token (kept in the session only)', async () => {
  await page.getByLabel('API token', { exact: true }).fill(env.TB_TOKEN);
  await page.getByLabel('API token', { exact: true }).press('Enter');
  await page.locator('h1', { hasText: 'Dashboard' }).waitFor();
  const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('talkingbits.token'), local: localStorage.length }));
  assert.equal(stored.session, env.TB_TOKEN);
  assert.equal(stored.local, 0);
});

await step('make a webhook tool: invalid JSON and the API field errors shown next to the fields', async () => {
  await go('/tools', 'Tools');
  await page.getByRole('button', { name: 'New tool' }).click();
  await page.getByLabel('Name', { exact: true }).fill(TOOL);
  await page.getByLabel('URL', { exact: true }).fill(`${URL_BASE}/webhooks/business-hours`);
  await page.getByLabel('Description', { exact: true }).fill('Tells the opening hours');
  await page.getByLabel('Parameters (JSON schema)', { exact: true }).fill('{"type": "object", "properties": {');
  await page.getByRole('button', { name: 'Create tool' }).click();
  await fieldError('parameters').waitFor();
  assert.match(await fieldError('parameters').textContent(), /not valid JSON/);
  await page.getByLabel('Parameters (JSON schema)', { exact: true }).fill('{"type": "object", "properties": {"day": {"type": "string"}}}');
  await page.getByLabel('Timeout (ms)', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Create tool' }).click();
  await fieldError('timeout_ms').waitFor();
  await assertLabelled('tool editor');
  await shot('tool-errors');
  await page.getByLabel('Timeout (ms)', { exact: true }).fill('3000');
  await page.getByRole('button', { name: 'Create tool' }).click();
  await page.locator('table').getByText(TOOL, { exact: true }).waitFor();
});

await step('send the tool a test and see its reply', async () => {
  const row = page.locator('tr', { hasText: TOOL });
  await row.locator('summary', { hasText: 'Send test' }).click();
  await row.getByLabel(`Arguments for ${TOOL} (JSON)`).fill('{}');
  await row.getByRole('button', { name: 'Send test' }).click();
  await row.locator('pre.reply', { hasText: 'OK in' }).waitFor();
  assert.match(await row.locator('pre.reply').textContent(), /"open"|"hours"|"days"/);
  await shot('tools');
});

await step('create an agent on the local providers; a value out of range is shown next to its field', async () => {
  await go('/agents/new', 'New agent');
  await page.getByLabel('Name', { exact: true }).fill(AGENT);
  await page.getByLabel('Greeting', { exact: true }).fill('Hello, this is the web test. How can I help you?');
  await page.locator('select[data-chain="stt"]').first().selectOption('pocketsphinx');
  await page.locator('select[data-chain="tts"]').first().selectOption('espeak');
  await page.locator('select[data-chain="llm"]').first().selectOption('rules');
  // The rules dialogue's settings, generated from the keys it declares.
  await page.locator('summary', { hasText: 'Settings of rules' }).click();
  await page.locator('[data-field="llm_options.rules.timezone"]').fill('UTC');
  await page.locator('[data-field="llm_options.rules.rules-file"]').fill(env.TB_RULES);
  await page.getByLabel('End of turn after silence (ms)', { exact: true }).fill('50');
  await page.getByLabel(new RegExp(`^${TOOL} — `)).check();
  await assertLabelled('agent editor');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await fieldError('endpointing_ms').waitFor();
  assert.match(await fieldError('endpointing_ms').textContent(), /out of range/);
  await shot('agent-errors');
  await page.getByLabel('End of turn after silence (ms)', { exact: true }).fill('700');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await page.locator('h1', { hasText: `Agent ${AGENT}` }).waitFor();
  const saved = await api('GET', `/agents/${AGENT}`);
  assert.deepEqual([saved.body.stt, saved.body.tts, saved.body.llm, saved.body.tools],
    [['pocketsphinx'], ['espeak'], ['rules'], [TOOL]]);
  assert.equal(saved.body.llm_options.rules.timezone, 'UTC');
  assert.equal(saved.body.llm_options.rules['rules-file'], env.TB_RULES);
  await shot('agent');
});

await step('a config-managed agent is read-only, with the reason', async () => {
  await go('/agents', 'Agents');
  await shot('agents');
  await go('/agents/reception', 'Agent reception');
  await page.locator('.notice', { hasText: 'Read-only' }).waitFor();
  assert.ok(await page.getByLabel('Greeting', { exact: true }).isDisabled());
  assert.equal(await page.getByRole('button', { name: 'Save changes' }).count(), 0);
  await shot('agent-readonly');
});

await step('bind number 2000 to the agent; the trunk shows its registration', async () => {
  await go('/numbers', 'Numbers');
  await page.getByLabel('Number', { exact: true }).fill('2000');
  await page.getByLabel('Agent', { exact: true }).selectOption(AGENT);
  await page.getByRole('button', { name: 'Bind number' }).click();
  await page.locator('tr', { hasText: '2000' }).waitFor();
  await page.locator('tr', { hasText: 'carrier' }).waitFor();
  await assertLabelled('numbers');
  await shot('numbers');
});

let callResult;
await step('call 2000 with tb-call: the dashboard shows it live without a reload', async () => {
  await go('/dashboard', 'Dashboard');
  await page.evaluate(() => { window.tbNotReloaded = true; });
  const call = placeCall();
  await page.locator('section[aria-labelledby="active-title"] tr', { hasText: AGENT }).waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.tbNotReloaded), true);
  await shot('dashboard-live');
  callResult = await call;
  assert.equal(callResult.status, 200);
  await page.locator('section[aria-labelledby="active-title"] .empty').waitFor({ timeout: 10000 });
  assert.equal(await page.evaluate(() => window.tbNotReloaded), true);
});

let callId;
await step('the call is in the log with its transcript and latencies', async () => {
  for (let i = 0; i < 40 && !callId; i++) {
    const list = await api('GET', '/calls?number=2000');
    const done = list.body.calls.find((c) => !c.live && c.turns > 0);
    if (done) callId = done.id;
    else await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(callId, 'the call was not logged');
  await go('/calls', 'Calls');
  await page.locator('tr', { hasText: AGENT }).first().waitFor();
  await assertLabelled('calls');
  await shot('calls');
  await page.locator(`a[href="#/calls/${callId}"]`).first().click();
  await page.locator('.conversation').waitFor();
  const caller = page.locator('.turn.caller').first();
  assert.match(await caller.textContent(), /appointment/);
  const agentTurns = await page.locator('.turn.agent').allTextContents();
  assert.ok(agentTurns.some((t) => /web test/.test(t)), `no greeting in ${agentTurns}`);
  assert.ok(agentTurns.some((t) => /response \d+ ms/.test(t)), `no latency in ${agentTurns}`);
  // The rules called the webhook tool: the reply was said, and the
  // invocation is listed with its arguments and the webhook's answer.
  assert.ok(agentTurns.some((t) => /closed on Saturday/.test(t)), `the tool's reply was not said: ${agentTurns}`);
  const invocation = page.locator('section, table').locator('tr', { hasText: TOOL }).first();
  assert.match(await invocation.textContent(), /"day":"Saturday"/);
  assert.match(await invocation.textContent(), /ok/);
  assert.match(await invocation.textContent(), /"weekday":"Saturday"/);
  assert.match(await page.locator('dd.end-reason').textContent(), /remote-bye/);
  await shot('call');
});

await step('hang up a live call from the call log', async () => {
  const call = placeCall(30);
  let live = null;
  for (let i = 0; i < 40 && !live; i++) {
    live = (await api('GET', '/calls/active')).body.calls.find((c) => c.to === '2000');
    if (!live) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(live, 'the call is not in progress');
  await go('/calls', 'Calls');
  const row = page.locator('section[aria-labelledby="live-title"] tr', { hasText: live.id.slice(0, 8) });
  await row.waitFor();
  await shot('calls-live');
  const t0 = Date.now();
  await row.getByRole('button', { name: `Hang up call ${live.id.slice(0, 8)}` }).click();
  const result = await call;
  assert.equal(result.hangup, 'remote', 'tb-call did not hear the hang-up');
  assert.ok(Date.now() - t0 < 10000, `hung up only after ${Date.now() - t0} ms`);
  let logged = null;
  for (let i = 0; i < 40 && !logged; i++) {
    const got = await api('GET', `/calls/${live.id}`);
    if (got.status === 200 && !got.body.live) logged = got.body;
    else await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(logged, 'the hung-up call was not logged');
  await go(`/calls/${live.id}`, 'Call ');
  assert.equal((await page.locator('dd.end-reason').textContent()).trim(), 'api-hangup');
});

await step('place an outbound call from the call log; a bad number is shown next to its field', async () => {
  await go('/calls', 'Calls');
  const form = page.locator('form', { has: page.locator('h2', { hasText: 'Place a call' }) });
  await form.getByLabel('To', { exact: true }).fill('not a number');
  await form.getByLabel('Agent', { exact: true }).selectOption(AGENT);
  await form.getByRole('button', { name: 'Call' }).click();
  await form.locator('[data-for="to"] .error').waitFor();
  assert.match(await form.locator('[data-for="to"] .error').textContent(), /phone number or a sip: URI/);
  await form.getByLabel('To', { exact: true }).fill(`sip:2000@${env.TB_UAS}`);
  await form.getByLabel('Ring timeout (s)', { exact: true }).fill('10');
  await form.getByRole('button', { name: 'Call' }).click();
  const link = form.locator('a[href^="#/calls/"]');
  await link.waitFor();
  await shot('outbound');
  const id = (await link.getAttribute('href')).slice('#/calls/'.length);
  // sipp answers, talks for 2 s and hangs up: then the call is in the log.
  let logged = null;
  for (let i = 0; i < 60 && !logged; i++) {
    const got = await api('GET', `/calls/${id}`);
    if (got.status === 200 && !got.body.live) logged = got.body;
    else await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(logged, 'the outbound call was not logged');
  await link.click();
  await page.locator('h1', { hasText: `Call ${id.slice(0, 8)}` }).waitFor();
  const summary = await page.locator('dl.summary').textContent();
  assert.match(summary, /outbound/);
  assert.match(summary, new RegExp(`sip:2000@${env.TB_UAS.replace(/\./g, '\\.')}`));
  assert.equal((await page.locator('dd.end-reason').textContent()).trim(), 'remote-bye');
});

await step('the call log filters by direction, and a filter value is read back as it was typed', async () => {
  await go('/calls', 'Calls');
  await page.getByLabel('Direction', { exact: true }).selectOption('outbound');
  await page.getByLabel('Number (from or to)', { exact: true }).fill('a&b=c%41');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('.empty', { hasText: 'No call matches' }).waitFor();
  assert.equal(await page.getByLabel('Number (from or to)', { exact: true }).inputValue(), 'a&b=c%41');
  await page.getByLabel('Number (from or to)', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('tr', { hasText: 'outbound' }).first().waitFor();
  const directions = await page.locator('tbody tr td:nth-child(4)').allTextContents();
  assert.ok(directions.length >= 1 && directions.every((d) => d === 'outbound'), `directions: ${directions}`);
  await shot('calls-filtered');
});

await step('edit the greeting and preview it: a WAV the audio element plays', async () => {
  await go(`/agents/${AGENT}`, `Agent ${AGENT}`);
  const greeting = 'Welcome to the edited web test greeting.';
  await page.getByLabel('Greeting', { exact: true }).fill(greeting);
  // The answer passes through here on its way to the page, as it is.
  let wav = null;
  let sent = null;
  await page.route(`**/api/v1/agents/${AGENT}/greeting-preview`, async (route) => {
    sent = route.request().postData();
    const answer = await route.fetch();
    wav = await answer.body();
    await route.fulfill({ response: answer, body: wav });
  });
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/agents/${AGENT}/greeting-preview`)),
    page.getByRole('button', { name: 'Preview greeting' }).click(),
  ]);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'audio/wav');
  assert.equal(JSON.parse(sent).greeting, greeting, 'the edited greeting was not sent');
  await page.unroute(`**/api/v1/agents/${AGENT}/greeting-preview`);
  assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(wav.subarray(8, 12).toString('latin1'), 'WAVE');
  assert.equal(wav.readUInt16LE(20), 1, 'not PCM');
  const rate = wav.readUInt32LE(24);
  const dataBytes = wav.readUInt32LE(40);
  assert.equal(dataBytes, wav.length - 44);
  assert.ok(dataBytes > rate, `only ${dataBytes} bytes of audio at ${rate} Hz`);
  assert.ok(wav.subarray(44).some((byte) => byte !== 0), 'the audio is silent');
  await page.waitForFunction(() => {
    const audio = document.querySelector('audio');
    return audio && !audio.error && audio.readyState >= 2 && audio.duration > 1;
  });
  await page.waitForFunction(() => {
    const audio = document.querySelector('audio');
    return audio.currentTime > 0.2 || audio.ended;
  });
  await shot('agent-preview');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.form-alert.ok').waitFor();
  assert.equal((await api('GET', `/agents/${AGENT}`)).body.greeting, greeting);
});

await step('deleting the tool the agent uses is refused, the reason next to it', async () => {
  await go('/tools', 'Tools');
  const row = page.locator('tr', { hasText: TOOL });
  await row.getByRole('button', { name: `Delete tool ${TOOL}` }).click();
  const error = row.locator('.error', { hasText: 'used by' });
  await error.waitFor();
  assert.match(await error.textContent(), new RegExp(`used by agent\\(s\\) ${AGENT}`));
  assert.equal((await api('GET', `/tools/${TOOL}`)).status, 200);
  await shot('tools-delete-refused');
});

await step('the dashboard charts the call', async () => {
  await go('/dashboard', 'Dashboard');
  await page.locator('figure.chart svg rect.bar').first().waitFor();
  // Two calls in, one out.
  assert.match(await page.locator('.stat', { hasText: 'Calls, 14 days' }).textContent(), /Calls, 14 days\s*3\b/);
  await assertLabelled('dashboard');
  await shot('dashboard');
});

await step('every page fits and works at 375 px wide', async () => {
  await page.setViewportSize({ width: 375, height: 812 });
  for (const [hash, heading, name] of [['/dashboard', 'Dashboard', 'dashboard-375'], [`/agents/${AGENT}`, `Agent ${AGENT}`, 'agent-375'],
    ['/numbers', 'Numbers', 'numbers-375'], ['/tools', 'Tools', 'tools-375'], ['/calls', 'Calls', 'calls-375'],
    [`/calls/${callId}`, 'Call ', 'call-375']]) {
    await go(hash, heading);
    await page.waitForLoadState('networkidle');
    await assertFits(name);
    await shot(name);
  }
});

await step('sign out forgets the token', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('h1', { hasText: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('talkingbits.token')), null);
});

await step('no script error on any page', async () => {
  assert.deepEqual(problems, []);
});

await context.close();
console.log(`all steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
