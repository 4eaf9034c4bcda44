// The search view: a collection, a query, a mode, language chips; hits with their badges and
// the score of each retriever.

import { call, showError } from "./api.js";
import { el, fmt } from "./dom.js";

const $ = (id) => document.getElementById(id);
let searched = false; // once a search ran, changing the mode or a chip searches again
let busy = 0;

export async function initSearch() {
  const form = $("search-form");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search();
  });
  $("collection").addEventListener("change", () => loadLanguages());
  form.querySelectorAll('input[name="mode"]').forEach((r) =>
    r.addEventListener("change", () => searched && search()),
  );
  $("chip-list").addEventListener("change", () => searched && search());
  await loadCollections();
}

async function loadCollections() {
  const select = $("collection");
  try {
    const { collections } = await call("/collections");
    select.replaceChildren(
      ...collections.map((c) =>
        el("option", { value: c.name }, `${c.name} (${fmt.int(c.documents)} documents)`),
      ),
    );
    if (!collections.length) {
      showError($("search-error"), new Error("This server serves no collections yet."));
      return;
    }
    showError($("search-error"), null);
    await loadLanguages();
  } catch (err) {
    showError($("search-error"), err);
  }
}

async function loadLanguages() {
  const name = $("collection").value;
  const list = $("chip-list");
  list.replaceChildren();
  if (!name) return;
  try {
    const info = await call(`/collections/${encodeURIComponent(name)}`);
    const langs = Object.entries(info.languages || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    list.replaceChildren(
      ...langs.map(([lang, n]) =>
        el(
          "label",
          { class: "chip", title: `${fmt.int(n)} documents` },
          el("input", { type: "checkbox", name: "lang", value: lang }),
          el("span", { lang }, lang),
          el("span", { class: "count" }, fmt.int(n)),
        ),
      ),
    );
    $("lang-chips").dataset.collection = name;
  } catch (err) {
    showError($("search-error"), err);
  }
}

function options() {
  const form = $("search-form");
  const k = Number.parseInt($("k").value, 10);
  const body = {
    query: $("query").value,
    mode: form.querySelector('input[name="mode"]:checked').value,
    k: Number.isFinite(k) ? k : 20,
  };
  const langs = [...form.querySelectorAll('#chip-list input:checked')].map((c) => c.value);
  if (langs.length) body.lang = langs;
  return body;
}

async function search() {
  const name = $("collection").value;
  const body = options();
  if (!name || !body.query.trim()) {
    $("query").focus();
    return;
  }
  searched = true;
  const ticket = ++busy;
  const hits = $("hits");
  hits.setAttribute("aria-busy", "true");
  try {
    const res = await call(`/collections/${encodeURIComponent(name)}/search`, { method: "POST", body });
    if (ticket !== busy) return; // a newer search answers instead
    showError($("search-error"), null);
    renderInfo(res);
    hits.replaceChildren(...res.hits.map(renderHit));
    hits.dataset.state = "done";
  } catch (err) {
    if (ticket !== busy) return;
    showError($("search-error"), err);
    $("query-info").hidden = true;
    hits.replaceChildren();
    hits.dataset.state = "error";
  } finally {
    if (ticket === busy) hits.removeAttribute("aria-busy");
  }
}

function renderInfo(res) {
  const info = $("query-info");
  const score = res.query_lang_score != null ? ` (${fmt.num(res.query_lang_score, 2)})` : "";
  const fusion = res.fusion ? `, ${res.fusion}` : "";
  info.replaceChildren(
    "Query language ",
    el("b", { id: "query-lang" }, res.query_lang || "und"),
    score,
    " · script ",
    el("b", { id: "query-script" }, res.query_script || "?"),
    ` · ${res.mode}${fusion}${res.rerank ? ", reranked" : ""} · ${res.hits.length} hits · ${fmt.num(res.took_ms, 0)} ms`,
  );
  info.hidden = false;
}

const SCORE_NAMES = ["dense", "lexical", "lexical_weight", "rerank"];

function renderHit(hit) {
  const scores = hit.scores || {};
  const parts = [el("dt", {}, "score"), el("dd", { class: "score" }, fmt.num(hit.score, 3))];
  for (const name of SCORE_NAMES) {
    if (scores[name] == null) continue;
    parts.push(el("dt", {}, name.replace("_", " ")), el("dd", { "data-score": name }, fmt.num(scores[name], 3)));
  }
  const found = (hit.found || []).join(" + ");
  return el(
    "li",
    { class: "hit", "data-id": hit.id, "data-lang": hit.lang || "" },
    el(
      "div",
      { class: "hit-head" },
      el("span", { class: "rank", "aria-label": `rank ${hit.rank}` }, String(hit.rank)),
      el("span", { class: "hit-id" }, hit.id),
      el("span", { class: "badge lang", title: "language" }, hit.lang || "und"),
      hit.script ? el("span", { class: "badge script", title: "script" }, hit.script) : null,
      found ? el("span", { class: "found", title: "found by" }, found) : null,
    ),
    el("p", { class: "hit-text", lang: hit.lang && hit.lang !== "und" ? hit.lang : "", dir: "auto" }, hit.text || ""),
    el("dl", { class: "scores" }, ...parts),
  );
}
