// The volunteer's phone page without signal.
//
// A visit saved on the case page goes first into this phone's IndexedDB, then
// to the server whenever the phone is online (now, when the signal returns, or
// when a page of the phone page opens). Each visit carries the one-time token
// of its form (welfare.forms.SubmitOnceForm): sent twice, it is stored once.
// The service worker (homehelp/service_worker.js) keeps the pages for offline use.
(() => {
  "use strict";
  const script = document.currentScript;
  const USER = script.dataset.user;
  const SCOPE = script.dataset.scope;
  const TEXT = JSON.parse(document.getElementById("field-text").textContent);
  const DB_NAME = "jkm-field";
  const STORE = "visits";
  const NOTICES = "jkm-field-notices";

  // --- The phone's store of visits waiting to be sent ---

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "token" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function inStore(mode, action) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => {
        db.close();
        resolve(request.result);
      };
      transaction.onerror = () => reject(transaction.error);
    });
  }

  // Only the signed-in volunteer's visits: a shared phone keeps each one's apart.
  async function waitingVisits() {
    const visits = await inStore("readonly", (store) => store.getAll());
    return visits.filter((visit) => visit.user === USER).sort((a, b) => a.savedAt - b.savedAt);
  }
  const keep = (visit) => inStore("readwrite", (store) => store.put(visit));
  const forget = (token) => inStore("readwrite", (store) => store.delete(token));

  // --- Messages that outlive a page change ---

  function addNotice(text, kind) {
    const notices = JSON.parse(sessionStorage.getItem(NOTICES) || "[]");
    notices.push({ text, kind });
    sessionStorage.setItem(NOTICES, JSON.stringify(notices));
  }

  function showNotices() {
    const box = document.getElementById("field-notices");
    if (!box) return;
    const notices = JSON.parse(sessionStorage.getItem(NOTICES) || "[]");
    sessionStorage.removeItem(NOTICES);
    for (const notice of notices) {
      const alert = document.createElement("div");
      alert.className = `alert alert-${notice.kind} py-2`;
      alert.setAttribute("role", "status");
      alert.textContent = notice.text;
      box.append(alert);
    }
  }

  // --- What is waiting, on the page ---

  let signInNeeded = false;

  function formatDate(iso) {
    const [year, month, day] = iso.split("-");
    return `${day}/${month}/${year}`;
  }

  function describe(visit) {
    return TEXT.visit_on.replace("%(name)s", visit.caseName).replace("%(date)s", formatDate(visit.date));
  }

  async function showQueue() {
    const section = document.getElementById("field-queue");
    if (!section) return;
    const visits = await waitingVisits();
    section.hidden = visits.length === 0;
    section.querySelector("[data-count]").textContent = visits.length;
    if (signInNeeded) section.querySelector("[data-status]").textContent = TEXT.sign_in;
    const items = visits.map((visit) => {
      const item = document.createElement("li");
      item.className = "mb-1";
      item.dataset.token = visit.token;
      item.textContent = describe(visit);
      if (visit.error) {
        const error = document.createElement("div");
        error.className = "text-danger";
        error.textContent = `${TEXT.refused} ${visit.error} `;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-outline-danger";
        remove.textContent = TEXT.remove;
        remove.addEventListener("click", async () => {
          await forget(visit.token);
          showQueue();
        });
        error.append(remove);
        item.append(error);
      }
      return item;
    });
    section.querySelector("[data-list]").replaceChildren(...items);
  }

  // --- Sending ---

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  function errorsInWords(errors) {
    return Object.values(errors || {}).flat().join(" ");
  }

  let sending = null;

  function sendWaiting() {
    sending = sending || sendAll().finally(() => { sending = null; });
    return sending;
  }

  // Resolves to the number of visits the server took (stored or held).
  async function sendAll() {
    let sent = 0;
    if (!navigator.onLine) return sent;
    for (const visit of await waitingVisits()) {
      if (visit.error) continue;
      const body = new FormData();
      for (const [name, value] of visit.fields) body.append(name, value);
      let response;
      try {
        response = await fetch(visit.action, {
          method: "POST",
          body,
          credentials: "same-origin",
          redirect: "manual",
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        });
      } catch (error) {
        return sent; // no signal after all: the next chance sends it
      }
      if (response.type === "opaqueredirect" || response.status === 403) {
        signInNeeded = true; // the sign-in ended; nothing is lost
        return sent;
      }
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.result) {
        await forget(visit.token);
        addNotice(answer.message, answer.result === "held" ? "warning" : "success");
        sent += 1;
      } else if (response.status === 400 || response.status === 404) {
        visit.error = response.status === 404 ? TEXT.unknown_case : errorsInWords(answer.errors);
        await keep(visit);
      } else {
        return sent; // the server is unwell: try again later
      }
    }
    return sent;
  }

  async function sendAndShow() {
    const sent = await sendWaiting();
    if (sent && !form) {
      // The list shown may be an old copy: ask for the current one (the
      // notices wait in sessionStorage). A form being filled in is left alone.
      window.location.reload();
      return;
    }
    await showQueue();
    showNotices();
  }

  // --- The visit form ---

  function newToken() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function localToday() {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  }

  const form = document.querySelector("form[data-field-form]");
  if (form) {
    // A page kept for offline use would repeat its token and its day: each
    // opening of the form is a new visit, on the phone's today unless changed.
    const token = form.querySelector("[name=submission]");
    const day = form.querySelector("[name=visited_on]");
    const returned = form.querySelector(".is-invalid") !== null;
    if (!returned) {
      token.value = newToken();
      if (day) day.value = localToday();
    }
    if (day) day.max = localToday();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("[type=submit]");
      button.disabled = true;
      const visit = {
        token: token.value,
        user: USER,
        action: form.action,
        caseName: form.dataset.caseName,
        date: day ? day.value : localToday(),
        fields: [...new FormData(form)].filter(([name]) => name !== "csrfmiddlewaretoken"),
        savedAt: Date.now(),
      };
      await keep(visit);
      await sendWaiting();
      const stored = (await waitingVisits()).find((waiting) => waiting.token === visit.token);
      if (stored && stored.error && !signInNeeded && navigator.onLine) {
        // Refused by the server while online: the page shows why, field by field.
        await forget(visit.token);
        form.submit();
        return;
      }
      if (stored) addNotice(TEXT.saved_offline, "warning");
      window.location.assign(SCOPE);
    });
  }

  // --- Signing out forgets the pages kept on the phone (not the visits waiting) ---

  document.querySelectorAll("form[data-sign-out]").forEach((signOut) => {
    signOut.addEventListener("submit", () => {
      if ("caches" in window) caches.delete("jkm-field-pages");
    });
  });

  // --- Start ---

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(script.dataset.serviceWorker, { scope: SCOPE })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (!navigator.onLine || !registration.active) return;
        const pages = [SCOPE, ...[...document.querySelectorAll("a[data-prefetch]")].map((a) => a.href)];
        registration.active.postMessage({ keep: pages });
      })
      .catch(() => {});
  }
  window.addEventListener("online", sendAndShow);
  sendAndShow();
})();
