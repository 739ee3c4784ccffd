// agents.js — the agents: a list, and an editor for one (create, change,
// delete) with its providers per stage chosen from what the daemon has
// loaded, each provider's settings generated from the keys it declares,
// turn-taking, tools, and "Preview greeting", which plays the greeting as
// the agent's voice speaks it. Agents of talkingbits.conf are shown
// read-only, with the reason.

import { apiBlob, del, enc, get, post, put } from './api.js';
import {
  announce, append, button, clear, clearErrors, field, formAlert, h, input, select, showErrors, table, textarea,
} from './dom.js';
import { optionsFieldset, readOptions } from './options.js';

const STAGES = [
  ['stt', 'Speech to text', 'Hears the caller.'],
  ['tts', 'Voice (text to speech)', 'Speaks the replies.'],
  ['llm', 'Language model', 'Thinks of the replies and calls the tools.'],
];
const CHAIN_LENGTH = 3;
// What the daemon gives an agent that does not say (talkingbits.conf).
const NEW_AGENT = {
  greeting: 'Hello, how can I help you?',
  system_prompt: 'You are a helpful phone assistant. Keep your answers short.',
  language: 'en-US', voice: '', speaking_rate: 1, answer_delay_ms: 0, endpointing_ms: 700,
  barge_in_min_ms: 240, interruptible: true, filler_after_ms: 1000,
  fillers: ['One moment, please.', 'Let me check that.'], stt: [], tts: [], llm: [], tools: [],
};

const NUMBERS = [
  ['speaking_rate', 'Speaking rate', 'number', 0.5, 2, 0.05, '1.0 is normal speed.'],
  ['answer_delay_ms', 'Answer delay (ms)', 'integer', 0, 60000, 1, 'Ringing time before the agent answers.'],
  ['endpointing_ms', 'End of turn after silence (ms)', 'integer', 100, 5000, 1,
    "Silence after the caller's speech that ends their turn."],
  ['barge_in_min_ms', 'Barge-in after speech of (ms)', 'integer', 20, 5000, 1,
    'Caller speech needed to interrupt the agent.'],
  ['filler_after_ms', 'Filler after (ms)', 'integer', 0, 60000, 1,
    'A tool slower than this gets a filler phrase; 0: never.'],
];

function providerNames(providers, kind) {
  return providers.filter((p) => p.kind === kind).map((p) => p.name);
}

function listView(main, agents) {
  main.append(
    h('div.heading', {}, h('h1', {}, 'Agents'), h('a.button.primary', { href: '#/agents/new' }, 'New agent')),
    table('Agents', ['Name', 'Numbers', 'Providers', 'Tools', 'Source'],
      agents.map((agent) => [
        h('a', { href: `#/agents/${enc(agent.name)}` }, agent.name),
        (agent.numbers || []).join(', ') || '–',
        ['stt', 'tts', 'llm'].map((stage) => `${stage}: ${agent[stage].join(', ') || '–'}`).join(' · '),
        agent.tools.join(', ') || '–',
        agent.config_managed ? h('span.badge', {}, 'talkingbits.conf') : 'API',
      ]), { empty: 'No agent yet: make one with "New agent".' }));
}

// The chain of providers of one stage: up to CHAIN_LENGTH selects.
function chainField(stage, label, help, names, chosen, disabled) {
  const selects = [];
  for (let i = 0; i < CHAIN_LENGTH; i++) {
    const options = [['', i === 0 ? '(none)' : '(no fallback)'], ...names.map((name) => [name, name])];
    const value = chosen[i] ?? '';
    if (value && !names.includes(value)) options.push([value, `${value} (not loaded)`]);
    const element = select(options, value, { disabled, 'aria-label': `${label}: ${i === 0 ? 'first choice' : `fallback ${i}`}` });
    element.dataset.chain = stage;
    selects.push(element);
  }
  const first = selects[0];
  const block = field({ label: `${label}, first choice first`, name: stage, control: first, help });
  first.after(...selects.slice(1));
  return { block, selects };
}

function editorView(main, agent, providers, tools, isNew) {
  const readOnly = Boolean(agent.config_managed);
  const disabled = readOnly;
  const form = h('form.card.editor', { novalidate: true });
  const name = input({ value: agent.name || '', required: true, disabled: disabled || !isNew, autocomplete: 'off',
    spellcheck: 'false', pattern: '[A-Za-z0-9._-]+' });
  const greeting = textarea(agent.greeting, { disabled, rows: 2 });
  const prompt = textarea(agent.system_prompt, { disabled, rows: 4 });
  const language = input({ value: agent.language || '', disabled, placeholder: 'en-US' });
  const voice = input({ value: agent.voice || '', disabled, placeholder: "the provider's default" });
  const interruptible = input({ type: 'checkbox', disabled });
  interruptible.checked = agent.interruptible !== false;
  const fillers = textarea((agent.fillers || []).join('\n'), { disabled, rows: 2 });
  const numbers = NUMBERS.map(([key, label, type, min, max, step, help]) => {
    const element = input({ type: 'number', min, max, step, disabled, inputmode: type === 'integer' ? 'numeric' : 'decimal' });
    element.value = agent[key] ?? '';
    return { key, type, element, block: field({ label, name: key, control: element, help }) };
  });

  const chains = {};
  const optionSlots = {};
  const stageSections = STAGES.map(([stage, label, help]) => {
    const names = providerNames(providers, stage);
    const chain = chainField(stage, label, help, names, agent[stage] || [], disabled);
    chains[stage] = chain.selects;
    optionSlots[stage] = h('div.option-sets');
    const drawOptions = () => {
      const current = readStageOptions(stage);
      clear(optionSlots[stage]);
      for (const select of chain.selects) {
        const chosen = select.value;
        if (!chosen) continue;
        const provider = providers.find((p) => p.kind === stage && p.name === chosen);
        const values = current[chosen] || (agent[`${stage}_options`] || {})[chosen] || {};
        const set = optionsFieldset(provider, `${stage}_options.${chosen}`, values, { disabled, hideLegend: true });
        set.dataset.provider = chosen;
        set.dataset.stage = stage;
        optionSlots[stage].append(h('details.options-box', { open: Object.keys(values).length > 0 || undefined },
          h('summary', {}, `Settings of ${chosen}`), set));
      }
    };
    for (const select of chain.selects) select.addEventListener('change', drawOptions);
    setTimeout(drawOptions);
    return h('fieldset.stage', {}, h('legend', {}, label), chain.block, optionSlots[stage]);
  });

  function readStageOptions(stage) {
    const result = {};
    for (const set of optionSlots[stage].querySelectorAll('fieldset.options')) {
      const values = readOptions(set);
      if (Object.keys(values).length) result[set.dataset.provider] = values;
    }
    return result;
  }

  const toolBoxes = tools.map((tool) => {
    const box = input({ type: 'checkbox', value: tool.name, disabled });
    box.checked = (agent.tools || []).includes(tool.name);
    return field({ label: `${tool.name}${tool.description ? ` — ${tool.description}` : ''}`, name: `tools.${tool.name}`, control: box });
  });

  function body() {
    const data = {
      name: name.value.trim(),
      greeting: greeting.value,
      system_prompt: prompt.value,
      language: language.value.trim(),
      voice: voice.value.trim(),
      interruptible: interruptible.checked,
      fillers: fillers.value.split('\n').map((line) => line.trim()).filter(Boolean),
      tools: tools.filter((tool) => form.querySelector(`input[value="${CSS.escape(tool.name)}"]`).checked).map((t) => t.name),
    };
    for (const { key, type, element } of numbers) {
      if (element.value.trim() === '') continue;
      data[key] = type === 'integer' ? Number.parseInt(element.value, 10) : Number(element.value);
    }
    for (const [stage] of STAGES) {
      data[stage] = chains[stage].map((s) => s.value).filter(Boolean);
      data[`${stage}_options`] = readStageOptions(stage);
    }
    return data;
  }

  const player = h('audio', { controls: true, hidden: true, 'aria-label': 'Greeting preview' });
  const previewStatus = h('p.help', { 'aria-live': 'polite' });
  let previewUrl = null;
  const previewButton = button('Preview greeting', async () => {
    clearErrors(form);
    previewButton.disabled = true;
    previewStatus.textContent = 'Synthesising…';
    try {
      const blob = await apiBlob('POST', `/agents/${enc(agent.name)}/greeting-preview`, readOnly ? undefined : body());
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(blob);
      player.src = previewUrl;
      player.hidden = false;
      previewStatus.textContent = `Greeting preview ready (${Math.round(blob.size / 1024)} KiB).`;
      await player.play().catch(() => {});
    } catch (error) {
      previewStatus.textContent = '';
      showErrors(form, error);
    } finally {
      previewButton.disabled = false;
    }
  }, { class: 'secondary' });

  if (isNew) {
    previewButton.disabled = true;
    previewStatus.textContent = 'Create the agent to preview its greeting in its voice.';
  }
  const saveButton = readOnly ? null : h('button.primary', { type: 'submit' }, isNew ? 'Create agent' : 'Save changes');
  const deleteButton = !isNew && !readOnly ? button('Delete agent', async () => {
    if (!window.confirm(`Delete agent ${agent.name}?`)) return;
    try {
      await del(`/agents/${enc(agent.name)}`);
      announce(`Agent ${agent.name} deleted`);
      location.hash = '#/agents';
    } catch (error) {
      showErrors(form, { fields: { delete: error.message }, message: error.message });
    }
  }, { class: 'danger', dataset: { field: 'delete' } }) : null;

  append(form, [
    h('p', {}, h('a', { href: '#/agents' }, '← All agents')),
    h('h1', {}, isNew ? 'New agent' : `Agent ${agent.name}`),
    readOnly ? h('p.notice', { role: 'note' },
      'Read-only: this agent is declared in the configuration file (talkingbits.conf). '
      + 'Change it there and reload the daemon (SIGHUP); its greeting can still be previewed.') : null,
    formAlert(),
    h('fieldset', {}, h('legend', {}, 'Identity and words'),
      field({ label: 'Name', name: 'name', control: name, help: "Letters, digits, '.', '_' and '-'. It cannot be changed later." }),
      field({ label: 'Greeting', name: 'greeting', control: greeting, help: 'The first words of the agent when it answers.', wide: true }),
      h('div.preview', {}, previewButton, previewStatus, player),
      field({ label: 'System prompt', name: 'system_prompt', control: prompt, help: "The language model's instructions.", wide: true }),
      field({ label: 'Language', name: 'language', control: language, help: 'BCP 47 tag, e.g. en-US.' }),
      field({ label: 'Voice', name: 'voice', control: voice, help: "A voice of the text-to-speech provider; empty: its default." })),
    ...stageSections,
    h('fieldset', {}, h('legend', {}, 'Turn-taking'),
      ...numbers.map((n) => n.block),
      field({ label: 'The caller can interrupt the agent', name: 'interruptible', control: interruptible }),
      field({ label: 'Filler phrases', name: 'fillers', control: fillers, help: 'One a line, spoken in turn while a slow tool runs.', wide: true })),
    h('fieldset', { dataset: { for: 'tools' } }, h('legend', {}, 'Tools'),
      toolBoxes.length ? toolBoxes : h('p.help', {}, 'No tool yet: make them on the Tools page.'),
      h('p.error', { hidden: true })),
    h('div.actions', {}, saveButton,
      deleteButton ? h('div.field.inline', { dataset: { for: 'delete' } }, deleteButton, h('p.error', { hidden: true })) : null)]);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (readOnly) return;
    clearErrors(form);
    saveButton.disabled = true;
    try {
      const data = body();
      const saved = isNew ? await post('/agents', data) : await put(`/agents/${enc(agent.name)}`, data);
      announce(`Agent ${saved.name} saved`);
      if (isNew) location.hash = `#/agents/${enc(saved.name)}`;
      else {
        Object.assign(agent, saved);
        const alert = form.querySelector('.form-alert');
        alert.textContent = 'Saved. Calls from now on use the new settings.';
        alert.hidden = false;
        alert.classList.add('ok');
      }
    } catch (error) {
      showErrors(form, error);
    } finally {
      saveButton.disabled = false;
    }
  });
  main.append(form);
  (isNew ? name : greeting).focus();
}

export async function render(main, [which]) {
  if (!which) {
    listView(main, (await get('/agents')).agents);
    return null;
  }
  const [providers, tools] = await Promise.all([get('/providers'), get('/tools')]);
  if (which === 'new') {
    editorView(main, { ...NEW_AGENT }, providers.providers, tools.tools, true);
    return null;
  }
  const agent = await get(`/agents/${enc(which)}`);
  editorView(main, agent, providers.providers, tools.tools, false);
  return null;
}
