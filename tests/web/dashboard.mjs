// The dashboard in a real headless Chromium, driven by playwright-core through the DevTools protocol,
// against the development stack (tests/web/dashboard.sh starts it): a bad key refused, signing in, the
// backends on the overview and the servers page, a tool tried from the form made from its inputSchema and
// its result (text, images, audio, embedded resources), the call in the live audit log, resources,
// prompts, keys made and revoked, keyboard-only use with the focus always visible, the service worker and
// the manifest, signing out; the Content-Security-Policy header on every page and nothing blocked by it
// (or any other error) in the console. Screenshots of every page in $AIOS_WEB_LOGS.
// Prints TAP; exits 0 when every check passed.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// NODE_PATH does not reach ES module imports; require() from inside the package's folder does.
const require = createRequire(path.join(process.env.NODE_PATH, 'playwright-core', 'package.json'));
const { chromium } = require('playwright-core');

const base = process.env.AIOS_WEB_BASE;
const logs = process.env.AIOS_WEB_LOGS;
const WAIT = { timeout: 20000 };

let n = 0;
let failures = 0;
function check(what, ok, detail = '') {
  n += 1;
  if (!ok) failures += 1;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!ok && detail) console.log(String(detail).split('\n').map((l) => `#   ${l}`).join('\n'));
}
function skip(what, why) {
  n += 1;
  console.log(`ok ${n} - ${what} # SKIP ${why}`);
}
// Runs a step; a step that throws (a wait that timed out) is one failed check, and the run goes on.
async function step(what, f) {
  try {
    const r = await f();
    check(what, r !== false);
  } catch (e) {
    check(what, false, e.message.split('\n').slice(0, 6).join('\n'));
  }
}

// Everything the console says at error level, and the pages' uncaught errors. Chromium logs refused
// fetches ("Failed to load resource: ... 401") as errors: those the test causes on purpose are expected.
const consoleErrors = [];
const cspViolations = [];
function watch(page, name) {
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy|CSP violation/i.test(text)) cspViolations.push(`${name}: ${text}`);
    else if (m.type() === 'error' && !/status of 401/.test(text)) consoleErrors.push(`${name}: ${text}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${name}: uncaught ${e.message}`));
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(logs, `${name}.png`), fullPage: true });
}

// The element with the focus: what it is, and whether it shows that (an outline that is drawn).
function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    return {
      tag: e.tagName.toLowerCase(), id: e.id, text: (e.textContent || '').trim().slice(0, 60), href: e.getAttribute('href'),
      visible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, inList: !!e.closest('#tool-list'),
    };
  });
}

fs.mkdirSync(logs, { recursive: true });
const context = await chromium.launchPersistentContext(process.env.AIOS_WEB_PROFILE, {
  executablePath: process.env.AIOS_CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
// CSP violations as the page sees them, too (the listener comes from the DevTools protocol, which the
// policy does not govern).
await context.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
});
const page = watch(context.pages()[0] ?? await context.newPage(), 'main');

try {
  // --- the page and its headers ----------------------------------------------------------------------
  const response = await page.goto(`${base}/`);
  const csp = response.headers()['content-security-policy'] ?? '';
  check('the page comes with a Content-Security-Policy', csp.includes("default-src 'self'") && csp.includes("script-src 'self'"), csp);
  check('which forbids framing', csp.includes("frame-ancestors 'none'"), csp);
  check('and no inline script', !/unsafe-inline|unsafe-eval/.test(csp), csp);
  check('nosniff and no-referrer', response.headers()['x-content-type-options'] === 'nosniff'
    && response.headers()['referrer-policy'] === 'no-referrer', JSON.stringify(response.headers()));

  // --- a bad key --------------------------------------------------------------------------------------
  await step('the sign-in form is shown', () => page.locator('#sign-in').waitFor(WAIT));
  await page.getByLabel('API key').fill('aios_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await step('a bad key is refused with a message', async () => {
    await page.locator('#sign-in-error').filter({ hasText: /./ }).waitFor(WAIT);
    const message = await page.locator('#sign-in-error').textContent();
    console.log(`# refused: ${message}`);
    return /key/i.test(message) && await page.locator('#nav').isHidden();
  });
  await shot(page, 'sign-in-refused');

  // --- signing in -------------------------------------------------------------------------------------
  await page.getByLabel('API key').fill(process.env.AIOS_WEB_ADMIN_KEY);
  await page.getByLabel('API key').press('Enter');
  await step('signing in with a good key shows who', async () => {
    await page.locator('#principal').filter({ hasText: 'key:web-admin' }).waitFor(WAIT);
    return true;
  });
  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === 'aios_session');
  check('the session cookie is HttpOnly and SameSite=Strict', session?.httpOnly && session?.sameSite === 'Strict', JSON.stringify(session));
  check('and holds no key', session && !session.value.startsWith('aios_') && !session.value.includes(process.env.AIOS_WEB_ADMIN_KEY.split('_')[2]));
  check('the page cannot read it', !(await page.evaluate(() => document.cookie)).includes('aios_session'));

  // --- overview and servers -----------------------------------------------------------------------------
  await step('the overview shows the backends up', async () => {
    await page.getByText('3 of 3 up').waitFor(WAIT);
    const names = await page.locator('ul.backends li').allTextContents();
    console.log(`# backends: ${names.join(', ')}`);
    return ['conformance', 'second', 'remote'].every((b) => names.some((t) => t.startsWith(b)));
  });
  await shot(page, 'overview');
  await page.getByRole('link', { name: 'Servers' }).click();
  await step('the servers page has every backend with its figures', async () => {
    // The monitor asks for figures when /metrics is read: they are there from the page's second reading.
    const row = page.getByRole('row', { name: /^conformance/ });
    await row.filter({ hasText: /running.*(KiB|MiB|GiB)/ }).waitFor(WAIT);
    console.log(`# ${(await row.textContent()).replace(/\s+/g, ' ')}`);
    return true;
  });
  await step('with memory, CPU and tasks charts', async () => {
    // Lines once two rounds of figures are in; a flat one has no height, so only its presence is asked.
    await page.locator('svg.chart path.line').first().waitFor({ state: 'attached', ...WAIT });
    return (await page.locator('section.card svg.chart').count()) >= 6; // two D-Bus backends, three each
  });
  await shot(page, 'servers');

  // --- the live audit log, in a second window -----------------------------------------------------------
  const journal = process.env.AIOS_WEB_JOURNAL === '1';
  const audit = watch(await context.newPage(), 'audit');
  if (journal) {
    await audit.goto(`${base}/#/audit`);
    await step('the audit log follows the journal', () => audit.getByText('Following the journal').waitFor(WAIT));
  } else {
    skip('the audit log follows the journal', `no journal here: ${process.env.AIOS_WEB_JOURNAL_WHY}`);
  }

  // --- tools ----------------------------------------------------------------------------------------
  await page.bringToFront();
  await page.getByRole('link', { name: 'Tools' }).click();
  await step('the tools are listed', async () => {
    await page.locator('#tool-list button[data-name="test_simple_text"]').waitFor(WAIT);
    return (await page.locator('#tool-list button').count()) > 20;
  });
  await page.getByLabel('Search tools').fill('json_schema');
  await step('searching narrows the list', async () => {
    const names = await page.locator('#tool-list button').evaluateAll((bs) => bs.map((b) => b.dataset.name));
    return names.length >= 1 && names.every((x) => x.includes('json_schema'));
  });
  await page.locator('#tool-list button[data-name="json_schema_2020_12_tool"]').click();
  await step('a tool shows a form made from its inputSchema', async () => {
    await page.getByLabel('name', { exact: true }).waitFor(WAIT);
    return await page.getByLabel('contactMethod').evaluate((e) => e.tagName === 'SELECT')
      && await page.getByLabel('address').evaluate((e) => e.tagName === 'TEXTAREA');
  });
  await page.getByLabel('name', { exact: true }).fill('Ada');
  await page.getByLabel('contactMethod').selectOption({ label: 'phone' });
  await page.getByLabel('phone').fill('555-0100');
  await page.getByLabel('address').fill('{"city": "London"}');
  await page.getByRole('button', { name: 'Call json_schema_2020_12_tool' }).click();
  await step('calling it shows its result', async () => {
    const result = page.locator('.result').filter({ hasText: 'JSON Schema 2020-12 tool called with' });
    await result.waitFor(WAIT);
    const text = await result.textContent();
    console.log(`# ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
    return text.includes('"name":"Ada"') && text.includes('"city":"London"') && text.includes('"contactMethod":"phone"');
  });
  await shot(page, 'tools');

  await page.getByLabel('Search tools').fill('test_multiple_content_types');
  await page.locator('#tool-list button[data-name="test_multiple_content_types"]').click();
  await page.getByRole('button', { name: 'Call test_multiple_content_types' }).click();
  await step('images and embedded resources are shown as such', async () => {
    await page.locator('.result img').waitFor(WAIT);
    const loaded = await page.locator('.result img').evaluate((img) => img.complete && img.naturalWidth > 0);
    return loaded && (await page.locator('.result .resource').count()) >= 1;
  });
  await page.getByLabel('Search tools').fill('test_audio_content');
  await page.locator('#tool-list button[data-name="test_audio_content"]').click();
  await page.getByRole('button', { name: 'Call test_audio_content' }).click();
  await step('audio gets a player', () => page.locator('.result audio[controls]').waitFor(WAIT));
  await page.getByLabel('Search tools').fill('test_error_handling');
  await page.locator('#tool-list button[data-name="test_error_handling"]').click();
  await page.getByRole('button', { name: 'Call test_error_handling' }).click();
  await step('a tool error is shown as one', () => page.locator('.result.is-error').waitFor(WAIT));

  if (journal) {
    await step('the call appears in the live audit log', async () => {
      await audit.locator('#audit-rows tr', { hasText: 'json_schema_2020_12_tool' }).first().waitFor(WAIT);
      const row = await audit.locator('#audit-rows tr', { hasText: 'json_schema_2020_12_tool' }).first().textContent();
      console.log(`# ${row}`);
      return row.includes('key:web-admin') && row.includes('ok');
    });
    await step('and so does a later one, as it happens', async () => {
      await page.getByLabel('Search tools').fill('test_simple_text');
      await page.locator('#tool-list button[data-name="test_simple_text"]').click();
      await page.getByRole('button', { name: 'Call test_simple_text' }).click();
      await audit.locator('#audit-rows tr', { hasText: 'test_simple_text' }).first().waitFor(WAIT);
      return true;
    });
    await shot(audit, 'audit');
  } else {
    skip('the call appears in the live audit log', `no journal here: ${process.env.AIOS_WEB_JOURNAL_WHY}`);
  }
  await audit.close();

  // --- resources, prompts ----------------------------------------------------------------------------
  await page.getByRole('link', { name: 'Resources' }).click();
  await step('resources are listed and read', async () => {
    await page.getByRole('button', { name: 'Read test://static-text' }).click(WAIT);
    await page.locator('.resource pre').first().waitFor(WAIT);
    return true;
  });
  await shot(page, 'resources');
  await page.getByRole('link', { name: 'Prompts' }).click();
  await step('a prompt is got with its arguments', async () => {
    const card = page.locator('section.card').filter({ has: page.getByText('test_prompt_with_arguments', { exact: true }) });
    await card.getByLabel('arg1').fill('first', WAIT);
    await card.getByLabel('arg2').fill('second');
    await card.getByRole('button', { name: 'Get test_prompt_with_arguments' }).click();
    await card.locator('pre', { hasText: 'first' }).waitFor(WAIT);
    return true;
  });
  await shot(page, 'prompts');

  await page.getByRole('link', { name: 'Overview' }).click();
  await step('the overview counts the calls made', async () => {
    await page.getByText(/[1-9][0-9]* calls since the gateway started/).waitFor(WAIT);
    await page.locator('svg.chart path.line').first().waitFor({ state: 'attached', ...WAIT });
    return true;
  });
  await shot(page, 'overview-after-calls');

  // --- keys ---------------------------------------------------------------------------------------------
  await page.getByRole('link', { name: 'Keys' }).click();
  await step('the keys are listed', () => page.getByRole('rowheader', { name: 'web-user' }).waitFor(WAIT));
  await page.getByLabel('Name').fill('made-in-browser');
  await page.getByLabel('Scopes').fill('tools:conformance');
  await page.getByLabel('Expires after (days)').fill('1');
  await page.getByRole('button', { name: 'Create key' }).click();
  await step('a new key is shown once', async () => {
    await page.locator('#new-key').waitFor(WAIT);
    return (await page.locator('#new-key').textContent()).startsWith('aios_');
  });
  await shot(page, 'keys');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: /^Revoke made-in-browser/ }).click();
  await step('and revoked', () => page.getByRole('rowheader', { name: 'made-in-browser' }).waitFor({ state: 'detached', ...WAIT }));

  // --- the installable app --------------------------------------------------------------------------
  await step('the service worker runs', async () => {
    const url = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.scriptURL));
    return url === `${base}/web/sw.js`;
  });
  await step('it keeps only the dashboard\'s own files', async () => {
    const urls = await page.evaluate(async () => {
      const out = [];
      for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) out.push(r.url);
      return out;
    });
    console.log(`# cached: ${urls.length} files`);
    return urls.length > 0 && urls.every((u) => { const p = new URL(u).pathname; return p === '/' || p.startsWith('/web/'); });
  });
  await step('the manifest is read without errors', async () => {
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    const installability = await cdp.send('Page.getInstallabilityErrors').catch(() => ({ installabilityErrors: [] }));
    console.log(`# installability: ${JSON.stringify(installability.installabilityErrors)}`);
    await cdp.detach();
    return manifest.errors.length === 0 && manifest.url === `${base}/web/manifest.webmanifest`;
  });

  // --- keyboard only ------------------------------------------------------------------------------------
  const kb = watch(await context.newPage(), 'keyboard');
  await kb.goto(`${base}/#/overview`);
  await kb.locator('#principal').filter({ hasText: 'key:' }).waitFor(WAIT);
  await kb.keyboard.press('Tab');
  let f = await focused(kb);
  check('Tab first reaches the skip link, visibly', f.text === 'Skip to content' && f.visible, JSON.stringify(f));
  await kb.keyboard.press('Enter');
  f = await focused(kb);
  check('which moves the focus to the content', f.id === 'main', JSON.stringify(f));
  const seen = [];
  let allVisible = true;
  for (let i = 0; i < 12; i++) {
    await kb.keyboard.press('Shift+Tab');
    f = await focused(kb);
    if (f.href) { seen.push(f.href); allVisible = allVisible && f.visible; }
    if (f.text === 'Skip to content') break;
  }
  await kb.keyboard.press('Tab'); // back from the skip link onto the first link
  for (let i = 0; i < 12; i++) {
    f = await focused(kb);
    if (f.href) { seen.push(f.href); allVisible = allVisible && f.visible; }
    if (f.href === '#/tools') break;
    await kb.keyboard.press('Tab');
  }
  check('every page is a link the keyboard reaches, focus visible', ['#/overview', '#/servers', '#/tools', '#/resources', '#/prompts', '#/audit', '#/keys'].every((h) => seen.includes(h)) && allVisible, seen.join(' '));
  await kb.keyboard.press('Enter');
  await step('Enter on a link opens its page, with the focus on its heading', async () => {
    await kb.waitForFunction(() => location.hash === '#/tools' && document.activeElement?.tagName === 'H1', null, WAIT);
    return true;
  });
  await kb.keyboard.press('Tab');
  f = await focused(kb);
  check('Tab goes on to the tools\' search field', f.id === 'tool-search' && f.visible, JSON.stringify(f));
  await kb.keyboard.type('test_simple');
  await kb.locator('#tool-list button[data-name="test_simple_text"]').waitFor(WAIT);
  await kb.keyboard.press('Tab');
  f = await focused(kb);
  check('then into the list of tools', f.inList && f.visible, JSON.stringify(f));
  const first = f.text;
  await kb.keyboard.press('ArrowDown');
  f = await focused(kb);
  check('where the arrow keys move between tools', f.inList && f.text !== first, `${first} -> ${f.text}`);
  await kb.keyboard.press('ArrowUp');
  await kb.keyboard.press('Enter');
  await kb.locator('#tool-title').waitFor(WAIT);
  for (let i = 0; i < 10; i++) {
    await kb.keyboard.press('Tab');
    f = await focused(kb);
    if (f.tag === 'button' && f.text.startsWith('Call ')) break;
  }
  check('Tab reaches the tool\'s Call button, visibly', f.tag === 'button' && f.text.startsWith('Call ') && f.visible, JSON.stringify(f));
  await kb.keyboard.press('Enter');
  await step('and Enter calls it', () => kb.locator('.result').first().waitFor(WAIT));
  await shot(kb, 'keyboard-tools');
  await kb.close();

  // --- signing out ----------------------------------------------------------------------------------
  await page.getByRole('button', { name: 'Sign out' }).click();
  await step('signing out shows the sign-in form again', () => page.locator('#sign-in').waitFor(WAIT));
  check('and ends the session', await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status)) === 401);
  check('and clears the cookie', !(await context.cookies(base)).some((c) => c.name === 'aios_session'));
  await shot(page, 'signed-out');

  // --- a non-admin key ----------------------------------------------------------------------------------
  await page.getByLabel('API key').fill(process.env.AIOS_WEB_USER_KEY);
  await page.getByLabel('API key').press('Enter');
  await step('a principal without admin sees no audit log or keys', async () => {
    await page.locator('#principal').filter({ hasText: 'key:web-user' }).waitFor(WAIT);
    return await page.getByRole('link', { name: 'Keys' }).isHidden() && await page.getByRole('link', { name: 'Audit log' }).isHidden();
  });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#sign-in').waitFor(WAIT);
} catch (e) {
  check('the run went through', false, e.stack);
} finally {
  check('nothing was blocked by the Content-Security-Policy', cspViolations.length === 0, cspViolations.join('\n'));
  check('no errors in the console', consoleErrors.length === 0, consoleErrors.join('\n'));
  await context.close();
}
console.log(`1..${n}`);
process.exit(failures ? 1 : 0);
