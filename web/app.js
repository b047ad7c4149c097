// The dashboard's shell: sign-in, the pages behind #/NAME, and the service worker of the installable app.
import { getSession, mcp, signIn, signOut } from './api.js';
import { announce } from './dom.js';
import { startPolling, stopPolling } from './metrics.js';
import * as audit from './pages/audit.js';
import * as keys from './pages/keys.js';
import * as overview from './pages/overview.js';
import * as prompts from './pages/prompts.js';
import * as resources from './pages/resources.js';
import * as servers from './pages/servers.js';
import * as tools from './pages/tools.js';

const pages = { overview, servers, tools, resources, prompts, audit, keys };
const $ = (id) => document.getElementById(id);

let session = null;
let leave = null; // the shown page's cleanup

function showSignIn(message = '') {
  session = null;
  leave?.();
  leave = null;
  stopPolling();
  mcp.reset();
  $('nav').hidden = true;
  $('who').hidden = true;
  $('page').hidden = true;
  $('page').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('key').focus();
}

function showPage() {
  const name = (location.hash.match(/^#\/([a-z]+)/) ?? [])[1] ?? 'overview';
  const page = pages[name] ?? overview;
  leave?.();
  leave = null;
  const root = $('page');
  root.replaceChildren();
  for (const a of document.querySelectorAll('#nav a'))
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  const cleanup = page.render(root, { session });
  leave = typeof cleanup === 'function' ? cleanup : null;
  document.title = `${root.querySelector('h1')?.textContent ?? 'aios'} · aios`;
  // Focus the page's heading, so that keyboard and screen reader users start where the content is.
  if (document.activeElement?.closest?.('#nav') || document.activeElement === document.body) root.querySelector('h1')?.focus();
}

function showApp(s) {
  session = s;
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  $('nav').hidden = false;
  for (const li of document.querySelectorAll('#nav [data-admin]')) li.hidden = !s.admin;
  $('principal').textContent = `Signed in as ${s.principal}`;
  $('who').hidden = false;
  $('page').hidden = false;
  startPolling();
  showPage();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('key');
  try {
    const s = await signIn(key.value.trim());
    key.value = '';
    announce(`Signed in as ${s.principal}`);
    showApp(s);
  } catch (e) {
    $('sign-in-error').textContent = e.message;
    key.focus();
  }
});

$('sign-out').addEventListener('click', async () => {
  await signOut();
  showSignIn();
  announce('Signed out');
});

window.addEventListener('hashchange', () => { if (session) showPage(); });
window.addEventListener('aios-signed-out', (event) => { if (session) showSignIn(event.detail); });

if ('serviceWorker' in navigator)
  navigator.serviceWorker.register('/web/sw.js', { scope: '/' }).catch(() => { /* the page works without it */ });

getSession().then((s) => (s ? showApp(s) : showSignIn())).catch(() => showSignIn());
