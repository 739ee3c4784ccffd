// dom.js — building the page: elements, labelled fields whose errors show
// next to them, and small formatting helpers. No HTML strings: every text
// goes in as text.

let nextId = 0;

export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

// h('tag.class', {attributes}, children...): children are nodes or text.
export function h(spec, attributes = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const element = document.createElement(tag || 'div');
  if (classes.length) element.className = classes.join(' ');
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

export function announce(text) {
  const status = document.getElementById('status');
  status.textContent = '';
  setTimeout(() => { status.textContent = text; }, 50);
}

// A labelled control in a .field block with its help and an error slot.
// `name` is the API's field name: the form's errors find it by that.
export function field({ label, name, control, help, wide }) {
  const id = control.id || uid('f');
  control.id = id;
  control.dataset.field = name;
  const helpId = help ? `${id}-help` : null;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [helpId, errorId].filter(Boolean).join(' '));
  const isCheck = control.type === 'checkbox';
  const block = h(`div.field${isCheck ? '.check' : ''}${wide ? '.wide' : ''}`, { dataset: { for: name } },
    isCheck ? [control, h('label', { for: id }, label)] : [h('label', { for: id }, label), control],
    help ? h('p.help', { id: helpId }, help) : null,
    h('p.error', { id: errorId, hidden: true }));
  return block;
}

export function input(attributes = {}) {
  return h('input', { type: 'text', ...attributes });
}

export function textarea(value, attributes = {}) {
  const area = h('textarea', { rows: 3, ...attributes });
  area.value = value ?? '';
  return area;
}

export function select(options, value, attributes = {}) {
  const element = h('select', attributes,
    options.map((option) => {
      const [optionValue, text] = Array.isArray(option) ? option : [option, option];
      return h('option', { value: optionValue }, text);
    }));
  if (value !== undefined && value !== null) element.value = value;
  return element;
}

export function button(text, onclick, attributes = {}) {
  return h('button', { type: 'button', onclick, ...attributes }, text);
}

// Shows @error (an ApiError or Error) in @form: each field's problem next
// to its control, the message in the form's alert; returns the element
// the keyboard focus went to.
export function showErrors(form, error) {
  clearErrors(form);
  const fields = error.fields || {};
  const unplaced = [];
  let first = null;
  for (const [name, why] of Object.entries(fields)) {
    const block = findField(form, name);
    if (!block) {
      unplaced.push(`${name}: ${why}`);
      continue;
    }
    const slot = block.querySelector('.error');
    slot.textContent = why;
    slot.hidden = false;
    const control = block.querySelector('[data-field]');
    if (control) control.setAttribute('aria-invalid', 'true');
    first = first || control;
  }
  const alert = form.querySelector('.form-alert');
  if (alert) {
    alert.textContent = Object.keys(fields).length
      ? `Please correct the fields marked below.${unplaced.length ? ` ${unplaced.join('; ')}` : ''}`
      : error.message;
    alert.hidden = false;
  }
  const target = first || alert;
  if (target) target.focus();
  return target;
}

// The field block for an API field name: itself, or the nearest parent
// name ("tts_options.espeak.rate" falls back to "tts_options.espeak").
function findField(form, name) {
  let key = name;
  for (;;) {
    const block = form.querySelector(`[data-for="${CSS.escape(key)}"]`);
    if (block) return block;
    const dot = key.lastIndexOf('.');
    if (dot < 0) return null;
    key = key.slice(0, dot);
  }
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.error')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  const alert = form.querySelector('.form-alert');
  if (alert) alert.hidden = true;
}

export function formAlert() {
  return h('p.form-alert', { role: 'alert', tabindex: '-1', hidden: true });
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  // Stages are logged in whole milliseconds: 0 is anything under one.
  if (ms < 1) return '< 1 ms';
  return `${Math.round(ms)} ms`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatTime(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

export function table(caption, headers, rows, { empty = 'Nothing yet.' } = {}) {
  if (!rows.length) return h('p.empty', {}, empty);
  return h('div.table-wrap', { tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell, i) => (i === 0
        ? h('th', { scope: 'row' }, cell)
        : h('td', { 'data-label': headers[i] }, cell))))))));
}

// Runs @tick now, then @ms after each run ends, until the returned
// function is called. @tick gets a function saying whether it was, to
// check after it awaited; it gets a second one that runs it again now.
export function poll(ms, tick) {
  let stopped = false;
  let timer = null;
  const run = async () => {
    clearTimeout(timer);
    try {
      await tick(() => stopped, run);
    } finally {
      if (!stopped) timer = setTimeout(run, ms);
    }
  };
  const first = run();
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  stop.first = first;
  return stop;
}

// The page drawn again from its address (after a change it shows).
export function rerender() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

// A link to a call's page, named by the start of its id.
export function callLink(id) {
  return h('a', { href: `#/calls/${encodeURIComponent(id)}` }, id.slice(0, 8));
}
