// app.js — the admin UI's shell: sign-in, the navigation and a hash router
// (#/dashboard, #/agents, #/agents/NAME, #/numbers, #/tools, #/calls,
// #/calls?FILTERS, #/calls/ID). Each page is a module exporting
// render(main, segments, search) that may return a function to call when
// the page is left (timers): segments are the path's parts after the page,
// each decoded once; search is what follows '?', as URLSearchParams.

import { ApiError, api, setToken, setUnauthorizedHandler, signedIn } from './api.js';
import { announce, clear, field, formAlert, h, input, showErrors } from './dom.js';

const pages = {
  dashboard: () => import('./dashboard.js'),
  agents: () => import('./agents.js'),
  numbers: () => import('./numbers.js'),
  tools: () => import('./tools.js'),
  calls: () => import('./calls.js'),
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
let leave = null;
let renderCount = 0;

function showSignIn(reason) {
  nav.hidden = true;
  signOut.hidden = true;
  document.title = 'Sign in — Talkingbits';
  const token = input({ type: 'password', autocomplete: 'current-password', spellcheck: 'false' });
  const form = h('form.card.signin', { novalidate: true },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Enter the API token of this daemon (the value of the variable that [http] api-token-env names). '
      + 'It is kept in this browser tab only.'),
    reason ? h('p.notice', {}, reason) : null,
    formAlert(),
    field({ label: 'API token', name: 'token', control: token,
      help: 'Leave it empty when the daemon has no token (an API open on loopback only).' }),
    h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('GET', '/providers', undefined, token.value);
      setToken(token.value);
      announce('Signed in');
      if (!location.hash || location.hash === '#/signin') location.hash = '#/dashboard';
      else route();
    } catch (error) {
      const why = error instanceof ApiError && error.status === 401
        ? { fields: { token: 'This token is not valid for this daemon.' }, message: error.message }
        : error;
      showErrors(form, why);
    }
  });
  clear(main).append(form);
  token.focus();
}

async function route() {
  if (leave) {
    leave();
    leave = null;
  }
  if (!signedIn()) {
    showSignIn();
    return;
  }
  nav.hidden = false;
  signOut.hidden = false;
  const hash = (location.hash || '#/dashboard').slice(1);
  const mark = hash.indexOf('?');
  const search = new URLSearchParams(mark < 0 ? '' : hash.slice(mark + 1));
  const [, page = 'dashboard', ...rest] = (mark < 0 ? hash : hash.slice(0, mark)).split('/');
  const load = pages[page];
  for (const link of nav.querySelectorAll('a'))
    if (link.getAttribute('href') === `#/${page}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  if (!load) {
    clear(main).append(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page.'));
    return;
  }
  const count = ++renderCount;
  const module = await load();
  if (count !== renderCount) return;
  document.title = `${page[0].toUpperCase()}${page.slice(1)} — Talkingbits`;
  clear(main);
  main.setAttribute('aria-busy', 'true');
  try {
    leave = await module.render(main, rest.map(decodeURIComponent), search) || null;
  } catch (error) {
    main.append(h('p.form-alert', { role: 'alert' }, error.message));
  }
  main.removeAttribute('aria-busy');
  main.dataset.page = page;
}

setUnauthorizedHandler(() => {
  setToken(null);
  showSignIn('Your session has ended or the token was changed: sign in again.');
});

signOut.addEventListener('click', () => {
  setToken(null);
  if (leave) {
    leave();
    leave = null;
  }
  showSignIn();
});

window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
route();
