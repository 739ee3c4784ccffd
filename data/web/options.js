// options.js — a provider's settings as form inputs, generated from the
// config keys its plugin declares (GET /api/v1/providers: name, type,
// default, help, min, max, choices, required, secret): numbers for
// integers and numbers (with their range), a yes/no/default choice for
// booleans, a list of choices, a text for lists (';'-separated) and
// strings; secrets are the name of an environment variable, never the
// secret. An input left empty keeps the plugin's default.

import { field, h, input, select } from './dom.js';

function control(key, value, disabled) {
  const shown = value === undefined || value === null ? '' : value;
  switch (key.type) {
    case 'integer':
    case 'number': {
      const element = input({
        type: 'number', inputmode: key.type === 'integer' ? 'numeric' : 'decimal',
        step: key.type === 'integer' ? '1' : 'any', min: key.min ?? undefined, max: key.max ?? undefined,
        placeholder: key.default ?? '', disabled,
      });
      element.value = shown;
      return element;
    }
    case 'boolean':
      return select([['', `default${key.default ? ` (${key.default === 'true' ? 'yes' : 'no'})` : ''}`],
        ['true', 'yes'], ['false', 'no']], shown === '' ? '' : String(shown), { disabled });
    case 'choice':
      return select([['', `default${key.default ? ` (${key.default})` : ''}`],
        ...(key.choices || []).map((choice) => [choice, choice])], String(shown), { disabled });
    case 'list': {
      const element = input({ placeholder: key.default ?? '', disabled });
      element.value = Array.isArray(value) ? value.join(';') : shown;
      return element;
    }
    default: {
      const element = input({ placeholder: key.default ?? '', disabled, spellcheck: 'false' });
      element.value = shown;
      return element;
    }
  }
}

function helpOf(key) {
  const parts = [];
  if (key.help) parts.push(/[.!?]$/.test(key.help) ? key.help : `${key.help}.`);
  if (key.secret) parts.push('The name of the environment variable that holds it; the secret itself never goes through this page.');
  if (key.type === 'list') parts.push("Several values separated with ';'.");
  if (key.min !== null && key.max !== null && key.min !== undefined) parts.push(`From ${key.min} to ${key.max}.`);
  if (key.default !== null && key.default !== undefined && key.default !== '') parts.push(`Default: ${key.default}.`);
  if (key.required) parts.push('Required.');
  return parts.join(' ');
}

// A fieldset of @provider's settings; @prefix is the API's field name of
// the provider's settings ("tts_options.espeak"); @values the current ones.
export function optionsFieldset(provider, prefix, values = {}, { disabled = false, hideLegend = false } = {}) {
  const keys = provider ? provider.keys : [];
  const set = h('fieldset.options', { dataset: { for: prefix } },
    h(hideLegend ? 'legend.visually-hidden' : 'legend', {}, `Settings of ${provider ? provider.name : 'the provider'}`),
    provider && provider.description ? h('p.help', {}, provider.description) : null,
    h('p.error', { hidden: true }));
  if (!keys.length) set.append(h('p.help', {}, 'This provider has no settings.'));
  for (const key of keys) {
    const element = control(key, values[key.name], disabled);
    element.dataset.key = key.name;
    element.dataset.type = key.type;
    set.append(field({
      label: `${key.name}${key.secret ? ' (environment variable)' : ''}`,
      name: `${prefix}.${key.name}`, control: element, help: helpOf(key),
    }));
  }
  return set;
}

// The settings a fieldset holds, typed as the API wants them; empty ones
// are left out (the plugin's default).
export function readOptions(set) {
  const values = {};
  for (const element of set.querySelectorAll('[data-key]')) {
    const raw = element.value.trim();
    if (raw === '') continue;
    switch (element.dataset.type) {
      case 'integer':
      case 'number':
        values[element.dataset.key] = Number(raw);
        break;
      case 'boolean':
        values[element.dataset.key] = raw === 'true';
        break;
      case 'list':
        values[element.dataset.key] = raw.split(';').map((item) => item.trim()).filter(Boolean);
        break;
      default:
        values[element.dataset.key] = raw;
    }
  }
  return values;
}
