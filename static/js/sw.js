// Gridwalk service worker. self.GRIDWALK = {version, precache, offline} is written in front
// of this file by the server, from the content hashes of the static files.
const { version, precache, offline } = self.GRIDWALK;
const STATIC = `gridwalk-static-${version}`;
const PAGES = 'gridwalk-pages';
const NAV_TIMEOUT = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(STATIC).then((cache) => cache.addAll(precache)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('gridwalk-static-') && key !== STATIC) await caches.delete(key);
    await self.clients.claim();
  })());
});

const pageKey = (url) => new URL(url, self.location.origin).pathname;

async function keepPage(request, response) {
  if (response.ok && !response.redirected && response.type === 'basic') {
    const cache = await caches.open(PAGES);
    await cache.put(pageKey(request.url), response.clone());
  }
  return response;
}

// Network first, but do not wait forever on a bad network; then the kept copy, then offline.
async function navigate(request) {
  const network = fetch(request).then((response) => keepPage(request, response));
  const timeout = new Promise((resolve) => setTimeout(resolve, NAV_TIMEOUT, null));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
  } catch (err) { /* offline: fall through to the cache */ }
  const cached = await caches.match(pageKey(request.url), { cacheName: PAGES });
  if (cached) return cached;
  try { return await network; } catch (err) {
    return (await caches.match(offline)) || new Response('offline', { status: 503 });
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/')) return;
  if (request.mode === 'navigate') { event.respondWith(navigate(request)); return; }
  if (url.pathname.startsWith('/static/')) {
    // Module imports name files without the ?v= revision; this cache holds one version of each.
    event.respondWith(caches.match(request, { cacheName: STATIC, ignoreSearch: true }).then((hit) => hit || fetch(request)));
  }
});

self.addEventListener('message', (event) => {
  const data = event.data;
  if (data === 'skipWaiting') self.skipWaiting();
  else if (data === 'clear-pages') event.waitUntil(caches.delete(PAGES));
  else if (data && data.type === 'warm') {
    event.waitUntil(Promise.all((data.urls || []).map((url) =>
      fetch(url, { credentials: 'same-origin' }).then((r) => keepPage(new Request(url), r)).catch(() => null))));
  }
});

// Background Sync is an extra where the browser has it: wake an open page to sync.
self.addEventListener('sync', (event) => {
  if (event.tag === 'gridwalk-outbox') {
    event.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => clients.forEach((c) => c.postMessage('sync'))));
  }
});
