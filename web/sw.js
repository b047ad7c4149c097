// The installable app's service worker: the dashboard's own files for when the gateway cannot be reached,
// and nothing else. /mcp, /api/ and /metrics are never answered from here, nor stored.
const CACHE = 'aios-shell-v1';
const SHELL = [
  '/', '/web/style.css', '/web/app.js', '/web/api.js', '/web/dom.js', '/web/metrics.js', '/web/chart.js',
  '/web/form.js', '/web/render.js', '/web/pages/overview.js', '/web/pages/servers.js', '/web/pages/tools.js',
  '/web/pages/resources.js', '/web/pages/prompts.js', '/web/pages/audit.js', '/web/pages/keys.js',
  '/web/icon.svg', '/web/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function isShell(url) {
  return url.origin === self.location.origin && (url.pathname === '/' || url.pathname.startsWith('/web/'));
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !isShell(url)) return; // the network's, untouched
  // The network first, so that a changed dashboard shows at once; the stored shell when it fails.
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((c) => c.put(url.pathname === '/' ? '/' : event.request, copy));
    }
    return response;
  }).catch(() => caches.match(url.pathname === '/' ? '/' : event.request).then((r) => r ?? Response.error())));
});
