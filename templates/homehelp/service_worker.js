// The volunteer's phone page without signal (homehelp.views.my_service_worker).
// Pages of the phone page: from the network when there is one, else the copy
// kept here. Static files: the copy kept here, refreshed in the background.
// Form posts are never touched: static/homehelp/field.js queues them.
"use strict";
const SCOPE = "{{ scope|escapejs }}";
const STATIC = [{% for url in static_urls %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
const STATIC_CACHE = "jkm-field-static-{{ version }}";
const PAGES_CACHE = "jkm-field-pages";
// A page that takes longer than this on a weak signal comes from the copy.
const NETWORK_WAIT_MS = 6000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE).then((cache) => cache.addAll(STATIC)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) =>
      Promise.all(
        names
          .filter((name) => name.startsWith("jkm-field-static-") && name !== STATIC_CACHE)
          .map((name) => caches.delete(name))
      )
    ).then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  // The page asks for its cases' pages to be kept, while it has signal.
  if (event.data && Array.isArray(event.data.keep)) {
    event.waitUntil(Promise.all(event.data.keep.map((url) => keepPage(url))));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (STATIC.includes(url.pathname)) {
    event.respondWith(staticFile(request));
  } else if (url.pathname.startsWith(SCOPE) && !url.pathname.endsWith("/sw.js")) {
    event.respondWith(page(request));
  }
});

async function staticFile(request) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => cached);
  return cached || fresh;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); }
    );
  });
}

async function page(request) {
  const cache = await caches.open(PAGES_CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    if (response.ok && !response.redirected) {
      await cache.put(request.url, response.clone());
    } else if (response.status === 404) {
      await cache.delete(request.url); // no longer the volunteer's case
    }
    return response;
  } catch (error) {
    const cached =
      (await cache.match(request.url, { ignoreSearch: true, ignoreVary: true })) ||
      (await cache.match(SCOPE, { ignoreVary: true }));
    if (cached) return cached;
    throw error;
  }
}

// A page kept in the last few minutes is not asked for again.
const KEEP_FRESH_MS = 10 * 60 * 1000;

async function keepPage(url) {
  const cache = await caches.open(PAGES_CACHE);
  const cached = await cache.match(url, { ignoreVary: true });
  const keptAt = cached ? Date.parse(cached.headers.get("Date") || "") : NaN;
  if (Date.now() - keptAt < KEEP_FRESH_MS) return;
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok && !response.redirected) {
      await cache.put(url, response);
    } else if (response.status === 404) {
      await cache.delete(url);
    }
  } catch (error) {
    // No signal: the copy kept before stays.
  }
}
