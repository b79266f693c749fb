// classlens service worker: after one visit the app reloads and works with the network off.
// Network first (a teacher online always gets the current build), the cache when the network
// fails. The page asks for its own files to be cached once it has rendered (index.html), so the
// list never goes stale when file names change. Only same-origin GETs are touched: the app
// makes no other request.
const CACHE = 'classlens-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(async () => (await caches.match(req, { ignoreSearch: true })) || Response.error()),
  );
});
