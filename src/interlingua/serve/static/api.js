// Calls to the server's JSON API. Every error answers {error, message, field}; an ApiError
// carries them. A 401 asks the user for the API key once (one form, however many calls were
// refused at the same time), keeps it in sessionStorage and sends it as a bearer token.

const KEY = "interlingua.apiKey";

export class ApiError extends Error {
  constructor(status, body) {
    const message = (body && body.message) || `The server answered ${status}.`;
    super(message);
    this.status = status;
    this.error = body && body.error;
    this.field = body && body.field;
  }
}

let asking = null; // the pending key prompt, shared by every refused call
let memory = null; // the key, when sessionStorage is off

function savedKey() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function askKey(wrong) {
  if (asking) return asking;
  const dialog = document.getElementById("auth");
  const form = document.getElementById("auth-form");
  const input = document.getElementById("api-key");
  const err = document.getElementById("auth-error");
  err.hidden = !wrong;
  err.textContent = wrong ? "The server refused that key; check it and try again." : "";
  input.value = "";
  asking = new Promise((resolve, reject) => {
    const stop = () => {
      form.removeEventListener("submit", done);
      dialog.removeEventListener("cancel", cancel);
      asking = null;
    };
    const cancel = () => {
      stop();
      reject(new ApiError(401, { message: "This server needs an API key; reload the page to give one." }));
    };
    const done = (ev) => {
      ev.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      stop();
      try {
        sessionStorage.setItem(KEY, key);
      } catch {
        /* storage off: the key lives until the tab reloads */
      }
      memory = key;
      dialog.close();
      resolve(key);
    };
    form.addEventListener("submit", done);
    dialog.addEventListener("cancel", cancel);
  });
  dialog.showModal();
  input.focus();
  return asking;
}

function currentKey() {
  return savedKey() || memory;
}

async function answer(res, as) {
  if (res.ok) {
    if (res.status === 204) return null;
    return as === "text" ? res.text() : res.json();
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = { message: `${res.status} ${res.statusText}`.trim() };
  }
  throw new ApiError(res.status, body);
}

/** call("/collections") or call("/align/words", {method: "POST", body: {...}}) -> the JSON answer. */
export async function call(path, { method = "GET", body, as = "json" } = {}) {
  let wrong = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const headers = { Accept: as === "text" ? "*/*" : "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const key = currentKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== 401) return answer(res, as);
    wrong = Boolean(key);
    if (key) {
      try {
        sessionStorage.removeItem(KEY);
      } catch {
        /* nothing kept */
      }
      memory = null;
    }
    await askKey(wrong);
  }
  throw new ApiError(401, { message: "The server keeps refusing the API key." });
}

/** Show an error (an ApiError or any Error) in an element with role=alert; null clears it. */
export function showError(el, err) {
  if (!err) {
    el.hidden = true;
    el.textContent = "";
    return;
  }
  const field = err.field ? ` (field: ${err.field})` : "";
  el.textContent = (err.message || String(err)) + field;
  el.hidden = false;
}
