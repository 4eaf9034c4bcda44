// The page's entry: one view at a time, chosen by the address's #fragment (#search, #compare,
// #review), so every view can be linked, bookmarked and reached with the keyboard.

import { call } from "./api.js";
import { initCompare, showCompare } from "./compare.js";
import { initReview, showReview } from "./review.js";
import { initSearch } from "./search.js";

const VIEWS = ["search", "compare", "review"];
const ON_SHOW = { compare: showCompare, review: showReview };

function current() {
  const name = location.hash.replace(/^#/, "");
  return VIEWS.includes(name) ? name : "search";
}

function show() {
  const name = current();
  for (const v of VIEWS) document.getElementById(`view-${v}`).hidden = v !== name;
  for (const a of document.querySelectorAll("nav a[data-view]")) {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.body.dataset.view = name;
  const hook = ON_SHOW[name];
  if (hook) hook();
}

async function serverInfo() {
  try {
    const info = await call("/info");
    document.getElementById("server-info").textContent = `${info.model_id} · interlingua ${info.version}`;
  } catch {
    /* the views show their own errors */
  }
}

async function main() {
  window.addEventListener("hashchange", show);
  show();
  initCompare();
  initReview(() => current() === "review");
  await serverInfo(); // asks for the API key first, when the server needs one
  await initSearch();
  document.body.dataset.ready = "true";
}

main();
