// tools.js — the tools the agents may call: webhooks (URL, function,
// description, parameter schema checked as JSON, signing secret by the
// name of its environment variable, timeout) or another tool plugin with
// its settings; "Send test" invokes one with sample arguments and shows
// the reply; deleting a tool an agent uses shows why it cannot be.

import { del, enc, get, post, put } from './api.js';
import {
  announce, button, clear, clearErrors, field, formAlert, h, input, rerender, select, showErrors, table,
  textarea,
} from './dom.js';
import { optionsFieldset, readOptions } from './options.js';

// Sample arguments from a JSON schema: each property with a value of its type.
function sample(schema) {
  if (!schema || typeof schema !== 'object') return {};
  const out = {};
  for (const [name, property] of Object.entries(schema.properties || {})) {
    if (property.enum && property.enum.length) out[name] = property.enum[0];
    else if (property.type === 'integer' || property.type === 'number') out[name] = 1;
    else if (property.type === 'boolean') out[name] = true;
    else if (property.type === 'array') out[name] = [];
    else if (property.type === 'object') out[name] = sample(property);
    else out[name] = 'test';
  }
  return out;
}

function parseJson(text, name) {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Object.assign(new Error(`${name} is not valid JSON`), { fields: { [name]: `not valid JSON: ${error.message}` } });
  }
}

function testPanel(tool) {
  const args = textarea(JSON.stringify(sample(tool.parameters), null, 2), { rows: 4, spellcheck: 'false' });
  const output = h('pre.reply', { hidden: true, tabindex: '0', 'aria-label': `Reply of ${tool.name}` });
  const form = h('form.test', { novalidate: true }, formAlert(),
    field({ label: `Arguments for ${tool.name} (JSON)`, name: 'arguments', control: args, wide: true }),
    h('div.actions', {}, h('button.secondary', { type: 'submit' }, 'Send test')), output);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const argumentsValue = parseJson(args.value, 'arguments') ?? {};
      output.textContent = 'Sending…';
      output.hidden = false;
      const result = await post(`/tools/${enc(tool.name)}/test`, { arguments: argumentsValue });
      output.classList.toggle('failed', !result.ok);
      output.textContent = result.ok
        ? `OK in ${result.latency_ms} ms (${result.function}):\n${JSON.stringify(result.result, null, 2)}`
        : `Failed after ${result.latency_ms} ms: ${result.error}`;
      announce(result.ok ? 'The tool answered' : 'The tool failed');
    } catch (error) {
      output.hidden = true;
      showErrors(form, error);
    }
  });
  return form;
}

function editor(tool, plugins, onDone) {
  const isNew = !tool;
  const current = tool || { plugin: 'webhook', options: {} };
  const readOnly = Boolean(current.config_managed);
  const disabled = readOnly;
  const name = input({ value: current.name || '', disabled: disabled || !isNew, spellcheck: 'false', autocomplete: 'off' });
  const plugin = select(plugins.map((p) => [p.name, `${p.name} — ${p.description}`]), current.plugin || 'webhook', { disabled: disabled || !isNew });
  const url = input({ type: 'url', value: current.url || '', disabled, spellcheck: 'false', placeholder: 'https://example.org/hook' });
  const fn = input({ value: current.function || '', disabled, spellcheck: 'false', placeholder: 'the tool name' });
  const description = textarea(current.description, { disabled, rows: 2 });
  const parameters = textarea(current.parameters ? JSON.stringify(current.parameters, null, 2) : '', { disabled, rows: 6, spellcheck: 'false' });
  const secret = input({ value: current.secret_env || '', disabled, spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. BOOKING_SECRET' });
  const timeout = input({ type: 'number', min: 1, step: 1, inputmode: 'numeric', value: current.timeout_ms ?? '', disabled, placeholder: '5000' });
  const webhookPart = h('div', {},
    field({ label: 'URL', name: 'url', control: url, help: 'The webhook gets a signed JSON POST for each call of the tool.' }),
    field({ label: 'Function name', name: 'function', control: fn, help: 'The name the language model calls; empty: the tool name.' }),
    field({ label: 'Description', name: 'description', control: description, help: 'What it does, for the language model.', wide: true }),
    field({ label: 'Parameters (JSON schema)', name: 'parameters', control: parameters, wide: true,
      help: 'A JSON schema of the arguments object, e.g. {"type":"object","properties":{"day":{"type":"string"}}}.' }),
    field({ label: 'Signing secret (environment variable)', name: 'secret_env', control: secret,
      help: 'Write-only: the name of the daemon\'s environment variable holding the HMAC secret. The secret itself is never sent to or shown by this page.' }),
    field({ label: 'Timeout (ms)', name: 'timeout_ms', control: timeout }));
  const optionSlot = h('div');
  const draw = () => {
    const chosen = plugins.find((p) => p.name === plugin.value);
    webhookPart.hidden = plugin.value !== 'webhook';
    clear(optionSlot);
    if (plugin.value !== 'webhook') optionSlot.append(optionsFieldset(chosen, 'options', current.options || {}, { disabled }));
  };
  plugin.addEventListener('change', draw);
  draw();
  const form = h('form.card.editor', { novalidate: true },
    h('h2', {}, isNew ? 'New tool' : `Tool ${current.name}`),
    readOnly ? h('p.notice', { role: 'note' }, 'Read-only: declared in talkingbits.conf. Change it there and reload (SIGHUP).') : null,
    formAlert(),
    field({ label: 'Name', name: 'name', control: name, help: "Letters, digits, '.', '_' and '-'." }),
    field({ label: 'Kind', name: 'plugin', control: plugin }),
    webhookPart, optionSlot,
    h('div.actions', {},
      readOnly ? null : h('button.primary', { type: 'submit' }, isNew ? 'Create tool' : 'Save tool'),
      button('Cancel', onDone, { class: 'link' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const body = { name: name.value.trim(), plugin: plugin.value };
      if (plugin.value === 'webhook') {
        Object.assign(body, {
          url: url.value.trim() || null,
          function: fn.value.trim() || null,
          description: description.value.trim() || null,
          parameters: parseJson(parameters.value, 'parameters'),
          secret_env: secret.value.trim() || null,
        });
        if (timeout.value.trim()) body.timeout_ms = Number.parseInt(timeout.value, 10);
      } else {
        body.options = readOptions(optionSlot.querySelector('fieldset') || h('fieldset'));
      }
      if (isNew) await post('/tools', body);
      else await put(`/tools/${enc(current.name)}`, body);
      announce(`Tool ${body.name} saved`);
      rerender();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

function row(tool, rerender, edit) {
  const error = h('p.error', { hidden: true, role: 'alert', id: `delete-error-${tool.name}` });
  const actions = h('div.row-actions', {},
    button(tool.config_managed ? 'View' : 'Edit', () => edit(tool), { class: 'small', 'aria-label': `Edit tool ${tool.name}` }),
    tool.config_managed ? h('span.badge', {}, 'talkingbits.conf') : button('Delete', async () => {
      error.hidden = true;
      try {
        await del(`/tools/${enc(tool.name)}`);
        announce(`Tool ${tool.name} deleted`);
        reload();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    }, { class: 'small danger', 'aria-label': `Delete tool ${tool.name}`, 'aria-describedby': error.id }),
    error);
  const details = h('details.test-box', {}, h('summary', {}, 'Send test'), testPanel(tool));
  return [tool.name, tool.plugin === 'webhook' ? tool.url ?? '–' : tool.plugin,
    (tool.used_by || []).join(', ') || '–', h('div', {}, actions, details)];
}

export async function render(main) {
  const [tools, providers] = await Promise.all([get('/tools'), get('/providers')]);
  const plugins = providers.providers.filter((p) => p.kind === 'tool' && p.name === p.plugin);
  const slot = h('div');
  const list = h('div');
  const edit = (tool) => {
    clear(slot).append(editor(tool, plugins, () => { clear(slot); }));
    slot.querySelector('input, select, textarea').focus();
  };
  list.append(table('Tools', ['Name', 'URL or plugin', 'Used by', ''],
    tools.tools.map((tool) => row(tool, rerender, edit)), { empty: 'No tool yet.' }));
  main.append(
    h('div.heading', {}, h('h1', {}, 'Tools and webhooks'), button('New tool', () => edit(null), { class: 'primary' })),
    slot, list);
  return null;
}
