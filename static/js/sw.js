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

// Pages a user's phone keeps: only the offline set a signed-in page asks for ('warm'), and
// never an answer marked no-store (pages with residents' data, revealed numbers). A navigation
// refreshes a kept page but adds none, so the sign-in page or a record's page is never kept.
// Forgetting bumps the generation: a fetch begun for the previous user does not put back.
let generation = 0;
const noStore = (response) => /no-store/i.test(response.headers.get('Cache-Control') || '');

async function keepPage(url, response, { add = false, since = generation } = {}) {
  if (!response.ok || response.redirected || response.type !== 'basic' || noStore(response)) return response;
  if (since !== generation || (!add && !(await caches.has(PAGES)))) return response;
  const cache = await caches.open(PAGES);
  const key = pageKey(url);
  if (add || (await cache.match(key))) await cache.put(key, response.clone());
  return response;
}

// Network first, but do not wait forever on a bad network; then the kept copy, then offline.
async function navigate(request) {
  const since = generation;
  const network = fetch(request).then((response) => keepPage(request.url, response, { since }));
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
  else if (data === 'forget-pages') {
    generation += 1;
    event.waitUntil(caches.delete(PAGES));
  } else if (data && data.type === 'warm') {
    const since = generation;
    // A redirect to /login (signed out meanwhile) is not followed: its answer sets a cookie.
    event.waitUntil(Promise.all((data.urls || []).map((url) =>
      fetch(url, { credentials: 'same-origin', redirect: 'manual' }).then((r) => keepPage(url, r, { add: true, since })).catch(() => null))));
  }
});

// Background Sync is an extra where the browser has it: wake an open page to sync.
self.addEventListener('sync', (event) => {
  if (event.tag === 'gridwalk-outbox') {
    event.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => clients.forEach((c) => c.postMessage('sync'))));
  }
});
