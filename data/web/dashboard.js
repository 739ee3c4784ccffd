// dashboard.js — the last 14 days: calls per day and per agent, answer
// rate, mean duration, latency p50/p95 per stage; the calls in progress
// and the latest provider failures, refreshed every 2 s without a reload.

import { get, query } from './api.js';
import { REFRESH_MS, activeTable } from './calls.js';
import { barChart } from './charts.js';
import { callLink, clear, field, formatDuration, formatTime, h, poll, select, table } from './dom.js';

const DAYS = 14;
const STAGES = [
  ['stt', 'STT'], ['llm', 'LLM'], ['tts', 'TTS'], ['response', 'Response'],
  ['first_response', 'Greeting'], ['tool', 'Tool'],
];

function dayList() {
  const days = [];
  const today = new Date();
  for (let i = DAYS - 1; i >= 0; i--) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    days.push(day.toISOString().slice(0, 10));
  }
  return days;
}

function card(label, value, note) {
  return h('div.stat', {}, h('p.stat-label', {}, label), h('p.stat-value', {}, value), note ? h('p.help', {}, note) : null);
}

function perDayChart(days, rows) {
  const agents = [...new Set(rows.map((row) => row.agent ?? '(none)'))];
  const series = agents.map((agent) => ({
    name: agent,
    values: days.map((day) => rows
      .filter((row) => row.day === day && (row.agent ?? '(none)') === agent)
      .reduce((sum, row) => sum + row.calls, 0)),
  }));
  return barChart({
    title: `Calls per day (last ${DAYS} days, UTC)`,
    labels: days.map((day) => day.slice(5)),
    series,
    stacked: true,
    integer: true,
    empty: `No calls in the last ${DAYS} days.`,
  });
}

function perAgentChart(stats) {
  return barChart({
    title: 'Calls per agent',
    labels: stats.map((row) => row.agent ?? '(none)'),
    series: [
      { name: 'Calls', values: stats.map((row) => row.calls) },
      { name: 'Answered', values: stats.map((row) => row.answered) },
    ],
    integer: true,
    empty: 'No calls yet.',
  });
}

function latencyChart(row) {
  const latency = row ? row.latency_ms : null;
  return barChart({
    title: `Latency per stage${row ? ` — ${row.agent}` : ''} (ms)`,
    labels: STAGES.map(([, label]) => label),
    series: [
      { name: 'p50', values: STAGES.map(([stage]) => (latency ? latency[stage].p50 : null)) },
      { name: 'p95', values: STAGES.map(([stage]) => (latency ? latency[stage].p95 : null)) },
    ],
    empty: 'No measured turns yet.',
  });
}

function errorsTable(errors) {
  return table('Latest provider errors', ['When', 'Provider', 'Kind', 'Call', 'Error'],
    errors.map((error) => [
      formatTime(error.at), error.provider, error.kind,
      error.call_id ? callLink(error.call_id) : '–',
      error.message,
    ]), { empty: 'No provider has failed since the daemon started.' });
}

export async function render(main) {
  const days = dayList();
  const since = days[0];
  const [daily, stats] = await Promise.all([
    get(`/stats/daily${query({ since })}`),
    get(`/stats${query({ since })}`),
  ]);
  const rows = stats.agents;
  const calls = rows.reduce((sum, row) => sum + row.calls, 0);
  const answered = rows.reduce((sum, row) => sum + row.answered, 0);
  const weighted = rows.filter((row) => row.mean_duration_ms !== null);
  const meanDuration = weighted.length
    ? weighted.reduce((sum, row) => sum + row.mean_duration_ms * row.calls, 0)
      / weighted.reduce((sum, row) => sum + row.calls, 0)
    : null;
  const activeCount = h('p.stat-value', {}, '…');
  const activeSlot = h('div');
  const errorsSlot = h('div');
  const busiest = [...rows].sort((a, b) => b.calls - a.calls)[0];
  const chooser = select(rows.map((row) => [row.agent ?? '', row.agent ?? '(none)']), busiest ? busiest.agent ?? '' : '');
  const latencySlot = h('div', {}, latencyChart(busiest));
  chooser.addEventListener('change', () => {
    clear(latencySlot).append(latencyChart(rows.find((row) => (row.agent ?? '') === chooser.value)));
  });

  main.append(
    h('h1', {}, 'Dashboard'),
    h('section.stats', { 'aria-label': 'Summary' },
      card(`Calls, ${DAYS} days`, String(calls)),
      card('Answer rate', calls ? `${Math.round((100 * answered) / calls)} %` : '–', `${answered} answered`),
      card('Mean duration', formatDuration(meanDuration)),
      h('div.stat', {}, h('p.stat-label', {}, 'Active now'), activeCount)),
    h('section.grid', { 'aria-label': 'Charts' },
      perDayChart(days, daily.days),
      perAgentChart(rows),
      h('div', {}, rows.length > 1 ? field({ label: 'Latency of agent', name: 'latency-agent', control: chooser }) : null,
        latencySlot)),
    h('section', { 'aria-labelledby': 'active-title' }, h('h2', { id: 'active-title' }, 'Active calls'), activeSlot),
    h('section', { 'aria-labelledby': 'errors-title' }, h('h2', { id: 'errors-title' }, 'Recent provider errors'), errorsSlot));

  const stop = poll(REFRESH_MS, async (stopped, refresh) => {
    try {
      const [active, errors] = await Promise.all([get('/calls/active'), get('/providers/errors?limit=10')]);
      if (stopped()) return;
      activeCount.textContent = String(active.calls.length);
      clear(activeSlot).append(activeTable(active.calls, refresh));
      clear(errorsSlot).append(errorsTable(errors.errors));
      main.dataset.refreshedAt = String(Date.now());
    } catch (error) {
      clear(activeSlot).append(h('p.form-alert', { role: 'alert' }, error.message));
    }
  });
  await stop.first;
  return stop;
}
