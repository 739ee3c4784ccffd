// calls.js — the call log (filters, pages), placing an outbound call, and
// one call's detail: the transcript as a conversation with each turn's
// latencies, the tool invocations with their arguments and replies, the
// end reason; a live call can be hung up.

import { enc, get, post, query } from './api.js';
import {
  announce, button, callLink, clear, clearErrors, field, formAlert, formatDuration, formatMs, formatTime, h, input,
  poll, rerender, select, showErrors, table,
} from './dom.js';

const PAGE = 20;
const FILTERS = ['agent', 'number', 'direction', 'end_reason', 'since', 'until'];

function filterForm(params, agents) {
  const controls = {
    agent: select([['', 'any agent'], ...agents.map((a) => [a.name, a.name])], params.agent || ''),
    number: input({ value: params.number || '', inputmode: 'tel', spellcheck: 'false' }),
    direction: select([['', 'both ways'], ['inbound', 'inbound'], ['outbound', 'outbound']], params.direction || ''),
    end_reason: input({ value: params.end_reason || '', spellcheck: 'false', placeholder: 'e.g. remote-bye' }),
    since: input({ type: 'date', value: params.since || '' }),
    until: input({ type: 'date', value: params.until || '' }),
  };
  const form = h('form.card.filters', { novalidate: true, role: 'search', 'aria-label': 'Filter the calls' },
    formAlert(),
    h('div.row', {},
      field({ label: 'Agent', name: 'agent', control: controls.agent }),
      field({ label: 'Number (from or to)', name: 'number', control: controls.number }),
      field({ label: 'Direction', name: 'direction', control: controls.direction }),
      field({ label: 'End reason', name: 'end_reason', control: controls.end_reason }),
      field({ label: 'From day', name: 'since', control: controls.since }),
      field({ label: 'Until day', name: 'until', control: controls.until })),
    h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Filter'),
      h('a.button.link', { href: '#/calls' }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = {};
    for (const name of FILTERS) next[name] = controls[name].value.trim();
    location.hash = `#/calls${query(next)}`;
  });
  return form;
}

function outboundForm(agents, trunks) {
  const to = input({ inputmode: 'tel', spellcheck: 'false', placeholder: '+15550123 or sip:user@host' });
  const agent = select(agents.map((a) => [a.name, a.name]), agents[0] ? agents[0].name : '');
  const trunk = select([['', trunks.length ? 'the first trunk' : 'none (a sip: URI)'], ...trunks.map((t) => [t.name, t.name])], '');
  const callerId = input({ spellcheck: 'false' });
  const ring = input({ type: 'number', min: 1, max: 300, step: 1, inputmode: 'numeric', placeholder: '30' });
  const result = h('p.help', { 'aria-live': 'polite' });
  const form = h('form.card', { novalidate: true },
    h('h2', {}, 'Place a call'),
    formAlert(),
    h('div.row', {},
      field({ label: 'To', name: 'to', control: to, help: 'A number (through a trunk) or a sip: URI.' }),
      field({ label: 'Agent', name: 'agent', control: agent }),
      field({ label: 'Trunk', name: 'trunk', control: trunk }),
      field({ label: 'Caller ID', name: 'caller_id', control: callerId, help: "Optional; the trunk's by default." }),
      field({ label: 'Ring timeout (s)', name: 'ring_timeout_s', control: ring })),
    h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Call')), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { to: to.value.trim(), agent: agent.value };
    if (trunk.value) body.trunk = trunk.value;
    if (callerId.value.trim()) body.caller_id = callerId.value.trim();
    if (ring.value.trim()) body.ring_timeout_s = Number.parseInt(ring.value, 10);
    try {
      const call = await post('/calls', body);
      result.replaceChildren('Dialling: ', h('a', { href: `#/calls/${enc(call.id)}` }, call.id));
      announce('Dialling');
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

export const REFRESH_MS = 2000;

export function hangupButton(call, after) {
  return button('Hang up', async () => {
    await post(`/calls/${enc(call.id)}/hangup`);
    announce('Hanging up');
    after();
  }, { class: 'small danger', 'aria-label': `Hang up call ${call.id.slice(0, 8)}` });
}

// The calls in progress, each with its hang-up button; @refresh redraws.
export function activeTable(calls, refresh) {
  return table('Calls in progress', ['Call', 'Agent', 'Direction', 'From', 'To', 'Started', 'State', ''],
    calls.map((call) => [
      callLink(call.id),
      call.agent ?? '–', call.direction, call.from ?? '–', call.to ?? '–', formatTime(call.started_at),
      call.answered ? 'answered' : 'ringing',
      hangupButton(call, refresh),
    ]), { empty: 'No call in progress.' });
}

// Calls show in the log when they end: the ones in progress are listed
// above it, refreshed every REFRESH_MS. Returns the function that stops it.
function watchActive(slot) {
  return poll(REFRESH_MS, async (stopped, refresh) => {
    try {
      const active = await get('/calls/active');
      if (!stopped()) clear(slot).append(activeTable(active.calls, refresh));
    } catch (error) {
      clear(slot).append(h('p.form-alert', { role: 'alert' }, error.message));
    }
  });
}

async function listView(main, params) {
  const offset = Number.parseInt(params.offset || '0', 10) || 0;
  const filters = {};
  for (const name of FILTERS) filters[name] = params[name];
  const [agents, trunks] = await Promise.all([get('/agents'), get('/trunks')]);
  const filter = filterForm(params, agents.agents);
  const activeSlot = h('div');
  main.append(h('h1', {}, 'Calls'),
    h('section', { 'aria-labelledby': 'live-title' }, h('h2', { id: 'live-title' }, 'In progress'), activeSlot),
    h('h2', {}, 'Call log'), filter);
  const stop = watchActive(activeSlot);
  let page;
  try {
    page = await get(`/calls${query({ ...filters, limit: PAGE, offset })}`);
  } catch (error) {
    showErrors(filter, error);
    return stop;
  }
  const link = (to) => `#/calls${query({ ...filters, offset: to })}`;
  const last = Math.min(page.total, offset + page.calls.length);
  main.append(
    table('Calls, newest first', ['Call', 'Started', 'Agent', 'Direction', 'From', 'To', 'Duration', 'Turns', 'End'],
      page.calls.map((call) => [
        callLink(call.id),
        formatTime(call.started_at), call.agent ?? '–', call.direction, call.from ?? '–', call.to ?? '–',
        formatDuration(call.duration_ms), String(call.turns),
        call.live ? h('span.badge.live', {}, 'live') : call.end_reason ?? '–',
      ]), { empty: 'No call matches.' }),
    h('nav.pager', { 'aria-label': 'Pages' },
      offset > 0 ? h('a.button', { href: link(Math.max(0, offset - PAGE)), rel: 'prev' }, '← Newer') : null,
      h('span', {}, page.total ? `${offset + 1}–${last} of ${page.total}` : '0 calls'),
      last < page.total ? h('a.button', { href: link(offset + PAGE), rel: 'next' }, 'Older →') : null),
    outboundForm(agents.agents, trunks.trunks));
  return stop;
}

function latencies(turn) {
  const parts = [];
  if (turn.stt_final_ms !== null) parts.push(`STT ${formatMs(turn.stt_final_ms)}`);
  if (turn.llm_first_token_ms !== null) parts.push(`LLM ${formatMs(turn.llm_first_token_ms)}`);
  if (turn.tts_first_audio_ms !== null) parts.push(`TTS ${formatMs(turn.tts_first_audio_ms)}`);
  if (turn.response_ms !== null) parts.push(`response ${formatMs(turn.response_ms)}`);
  return parts;
}

function transcript(call) {
  if (!call.turns.length) return h('p.empty', {}, call.live ? 'The transcript is stored when the call ends.' : 'Nothing was said.');
  return h('ol.conversation', { 'aria-label': 'Transcript' }, call.turns.map((turn) => {
    const who = turn.role === 'caller' ? 'Caller' : 'Agent';
    const tools = call.tool_invocations.filter((t) => t.turn === turn.sequence);
    const at = turn.speech_start_ms !== null ? `${(turn.speech_start_ms / 1000).toFixed(1)} s` : null;
    return h(`li.turn.${turn.role}`, {},
      h('p.who', {}, who, at ? h('span.help', {}, ` at ${at}`) : null),
      h('p.said', {}, turn.text || '…'),
      turn.interrupted ? h('p.help', {}, `Interrupted; heard: “${turn.heard_text ?? ''}”`) : null,
      turn.failure ? h('p.failure', {}, `Failure: ${turn.failure}`) : null,
      latencies(turn).length ? h('p.latency', {}, latencies(turn).join(' · ')) : null,
      tools.length ? h('p.help', {}, `Tools: ${tools.map((t) => t.tool).join(', ')}`) : null);
  }));
}

function toolTable(call) {
  return table('Tool invocations', ['Tool', 'Turn', 'Arguments', 'Status', 'Latency', 'Reply'],
    call.tool_invocations.map((tool) => [
      tool.tool, tool.turn ?? '–', h('code', {}, JSON.stringify(tool.arguments)), tool.status,
      formatMs(tool.latency_ms), h('code', {}, tool.reply ?? ''),
    ]), { empty: 'No tool was called.' });
}

function metricsTable(metrics) {
  const stages = [['response_ms', 'Response'], ['stt_ms', 'STT'], ['llm_ms', 'LLM'], ['tts_ms', 'TTS']];
  return table('Latencies of this call', ['Stage', 'Mean', 'p50', 'p95'],
    stages.map(([key, label]) => [label, formatMs(metrics[key].mean), formatMs(metrics[key].p50), formatMs(metrics[key].p95)]));
}

async function detailView(main, id) {
  const call = await get(`/calls/${enc(id)}`);
  main.append(
    h('p', {}, h('a', { href: '#/calls' }, '← All calls')),
    h('h1', {}, `Call ${call.id.slice(0, 8)}`),
    h('dl.summary', {},
      h('dt', {}, 'Agent'), h('dd', {}, call.agent ?? '–'),
      h('dt', {}, 'Direction'), h('dd', {}, call.direction),
      h('dt', {}, 'From'), h('dd', {}, call.from ?? '–'),
      h('dt', {}, 'To'), h('dd', {}, call.to ?? '–'),
      h('dt', {}, 'Started'), h('dd', {}, formatTime(call.started_at)),
      h('dt', {}, 'Answered'), h('dd', {}, formatTime(call.answered_at)),
      h('dt', {}, 'Duration'), h('dd', {}, formatDuration(call.duration_ms)),
      h('dt', {}, 'End reason'), h('dd.end-reason', {}, call.live ? [h('span.badge.live', {}, 'live'), ' ', hangupButton(call, rerender)] : call.end_reason ?? '–'),
      h('dt', {}, 'Call id'), h('dd', {}, h('code', {}, call.id))),
    h('h2', {}, 'Transcript'), transcript(call),
    h('h2', {}, 'Tools'), toolTable(call),
    h('h2', {}, 'Latencies'), metricsTable(call.metrics));
}

export async function render(main, [which], search) {
  if (which && /^[0-9a-f-]{36}$/i.test(which)) {
    await detailView(main, which);
    return null;
  }
  return listView(main, Object.fromEntries(search));
}
