// numbers.js — the dialled numbers and the agents they are bound to (add,
// rebind, delete), and the SIP trunks with their registration state.

import { del, enc, get, post, put } from './api.js';
import { announce, button, clearErrors, field, formAlert, formatTime, h, input, rerender, select, showErrors, table } from './dom.js';

const DIRECTIONS = [['inbound', 'inbound'], ['outbound', 'outbound'], ['both', 'both']];

function addForm(agents) {
  const number = input({ inputmode: 'tel', autocomplete: 'off', spellcheck: 'false' });
  const agent = select(agents.map((a) => [a.name, a.name]), agents[0] ? agents[0].name : '');
  const direction = select(DIRECTIONS, 'inbound');
  const form = h('form.card.inline-form', { novalidate: true },
    h('h2', {}, 'Bind a number'),
    formAlert(),
    h('div.row', {},
      field({ label: 'Number', name: 'number', control: number, help: 'A phone number or SIP user: letters, digits and + * # - _ . ! ~' }),
      field({ label: 'Agent', name: 'agent', control: agent }),
      field({ label: 'Direction', name: 'direction', control: direction })),
    h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Bind number')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await post('/numbers', { number: number.value.trim(), agent: agent.value, direction: direction.value });
      announce(`Number ${number.value} bound to ${agent.value}`);
      rerender();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

function numberRow(entry, agents) {
  const readOnly = entry.config_managed;
  const agent = select(agents.map((a) => [a.name, a.name]), entry.agent,
    { disabled: readOnly, 'aria-label': `Agent of ${entry.number}` });
  const direction = select(DIRECTIONS, entry.direction, { disabled: readOnly, 'aria-label': `Direction of ${entry.number}` });
  const error = h('p.error', { hidden: true, role: 'alert' });
  const cell = h('div.row-actions', { dataset: { for: 'row' } });
  const report = (e) => {
    error.textContent = e.message;
    error.hidden = false;
  };
  if (readOnly) {
    cell.append(h('span.badge', { title: 'Declared in talkingbits.conf: change it there and reload' }, 'talkingbits.conf'));
  } else {
    cell.append(
      button('Save', async () => {
        error.hidden = true;
        try {
          await put(`/numbers/${enc(entry.number)}`, { agent: agent.value, direction: direction.value });
          announce(`Number ${entry.number} saved`);
        } catch (e) {
          report(e);
        }
      }, { class: 'small', 'aria-label': `Save number ${entry.number}` }),
      button('Delete', async () => {
        error.hidden = true;
        try {
          await del(`/numbers/${enc(entry.number)}`);
          announce(`Number ${entry.number} deleted`);
          rerender();
        } catch (e) {
          report(e);
        }
      }, { class: 'small danger', 'aria-label': `Delete number ${entry.number}` }));
  }
  cell.append(error);
  return [entry.number, agent, direction, cell];
}

function trunkState(trunk) {
  const state = h(`span.badge.state-${trunk.state}`, {}, trunk.state);
  return trunk.last_error ? [state, ' ', h('span.help', {}, `${trunk.last_status ?? ''} ${trunk.last_error}`)] : state;
}

export async function render(main) {
  const [numbers, agents, trunks] = await Promise.all([get('/numbers'), get('/agents'), get('/trunks')]);
  main.append(
    h('h1', {}, 'Numbers'),
    table('Numbers and their agents', ['Number', 'Agent', 'Direction', ''],
      numbers.numbers.map((entry) => numberRow(entry, agents.agents)), { empty: 'No number is bound yet.' }),
    agents.agents.length ? addForm(agents.agents) : h('p.notice', {}, 'Make an agent first, then bind numbers to it.'),
    h('h2', {}, 'Trunks'),
    table('SIP trunks', ['Trunk', 'Registrar', 'State', 'Expires in'],
      trunks.trunks.map((trunk) => [trunk.name, trunk.registrar ?? '–', trunkState(trunk),
        trunk.expires_in_s === null ? '–' : `${trunk.expires_in_s} s`]),
      { empty: 'No trunk is configured ([trunk:NAME] in talkingbits.conf).' }),
    h('p.help', {}, `Checked ${formatTime(new Date().toISOString())}.`));
  return null;
}
