// The review view: mined pairs one at a time, accepted or rejected from the keyboard, and the
// accepted ones exported as the library's TSV.

import { call, showError } from "./api.js";
import { el, fmt, typing } from "./dom.js";
import { parsePairs, toTsv } from "./pairs.js";

const $ = (id) => document.getElementById(id);

const state = {
  doc: null, // {format, comment, pairs}
  source: "", // what was loaded: a file name or "job <id>"
  base: "pairs", // the export's file name stem
  decisions: [], // per pair: null, "accepted" or "rejected"
  pos: 0, // the pair shown; == pairs.length once past the last
  history: [], // [{index, before, pos}] for undo
};

const KEYS = {
  a: accept,
  A: accept,
  r: reject,
  R: reject,
  u: undo,
  U: undo,
  Backspace: undo,
  ArrowLeft: back,
  ArrowRight: next,
  e: exportAccepted,
  E: exportAccepted,
};

export function initReview(isActive) {
  $("pairs-file").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try {
      load(parsePairs(await file.text(), file.name), file.name, file.name.replace(/\.(tsv|jsonl?|txt)$/i, ""));
    } catch (err) {
      showError($("review-error"), err);
    }
  });
  $("job-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = $("job-id").value.trim();
    if (!id) return;
    try {
      const text = await call(`/jobs/${encodeURIComponent(id)}/result?format=jsonl`, { as: "text" });
      load(parsePairs(text, `job ${id}.jsonl`), `job ${id}`, `job-${id}`);
    } catch (err) {
      showError($("review-error"), err);
    }
  });
  const buttons = { accept, reject, undo, prev: back, next, export: exportAccepted };
  for (const [id, fn] of Object.entries(buttons)) $(id).addEventListener("click", fn);
  document.addEventListener("keydown", (ev) => {
    if (!isActive() || !state.doc || ev.ctrlKey || ev.altKey || ev.metaKey || typing(ev.target)) return;
    if (document.querySelector("dialog[open]")) return;
    const fn = KEYS[ev.key];
    if (!fn) return;
    ev.preventDefault();
    fn();
  });
}

/** When the view opens: offer the finished mine jobs by id (quietly nothing without the route). */
export async function showReview() {
  try {
    const { jobs } = await call("/jobs");
    const done = (jobs || []).filter((j) => j.kind === "mine" && j.state === "done");
    $("job-ids").replaceChildren(...done.map((j) => el("option", { value: j.id }, `${j.id} (${j.finished || "done"})`)));
  } catch {
    /* the list is a convenience; typing the id still works */
  }
}

function load(doc, source, base) {
  showError($("review-error"), null);
  Object.assign(state, { doc, source, base, decisions: doc.pairs.map(() => null), pos: 0, history: [] });
  $("review").hidden = false;
  render();
  $("pair").focus();
}

function decide(value) {
  const n = state.doc.pairs.length;
  if (state.pos >= n) return;
  state.history.push({ index: state.pos, before: state.decisions[state.pos], pos: state.pos });
  state.decisions[state.pos] = value;
  state.pos += 1;
  render();
}

function accept() {
  if (state.doc) decide("accepted");
}

function reject() {
  if (state.doc) decide("rejected");
}

function undo() {
  const last = state.doc && state.history.pop();
  if (!last) return;
  state.decisions[last.index] = last.before;
  state.pos = last.pos;
  render();
}

function back() {
  if (!state.doc || state.pos === 0) return;
  state.pos -= 1;
  render();
}

function next() {
  if (!state.doc || state.pos >= state.doc.pairs.length) return;
  state.pos += 1;
  render();
}

function counts() {
  const accepted = state.decisions.filter((d) => d === "accepted").length;
  const rejected = state.decisions.filter((d) => d === "rejected").length;
  return { accepted, rejected, left: state.decisions.length - accepted - rejected };
}

function render() {
  const { pairs } = state.doc;
  const c = counts();
  $("review-source").textContent = state.source;
  $("pos").textContent = String(Math.min(state.pos + 1, pairs.length));
  $("total").textContent = String(pairs.length);
  $("n-accepted").textContent = String(c.accepted);
  $("n-rejected").textContent = String(c.rejected);
  $("n-left").textContent = String(c.left);
  $("export").disabled = c.accepted === 0;
  $("undo").disabled = state.history.length === 0;
  $("prev").disabled = state.pos === 0;
  $("next").disabled = state.pos >= pairs.length;
  const done = state.pos >= pairs.length;
  $("pair").hidden = done;
  $("accept").disabled = $("reject").disabled = done;
  $("review-done").hidden = !done;
  if (done) {
    $("review-done").textContent =
      c.left === 0
        ? "Every pair is reviewed. Export the accepted ones, or go back with ←."
        : `${c.left} pairs are still undecided; go back with ← to decide them, or export the accepted ones.`;
    return;
  }
  const p = pairs[state.pos];
  const d = state.decisions[state.pos];
  const badge = $("pair-state");
  badge.textContent = d || "undecided";
  badge.dataset.state = d || "undecided";
  $("pair").dataset.index = String(state.pos);
  $("pair-score").textContent = fmt.num(p.score, 4);
  $("pair-cosine").textContent = fmt.num(p.cosine, 4);
  $("pair-src-id").textContent = p.src_id;
  $("pair-tgt-id").textContent = p.tgt_id;
  $("pair-src").textContent = p.src_text;
  $("pair-tgt").textContent = p.tgt_text;
}

function exportAccepted() {
  if (!state.doc) return;
  const chosen = state.doc.pairs.filter((_, i) => state.decisions[i] === "accepted");
  if (!chosen.length) {
    showError($("review-error"), new Error("No pair is accepted yet: nothing to export."));
    return;
  }
  showError($("review-error"), null);
  const blob = new Blob([toTsv(chosen, state.doc.comment)], { type: "text/tab-separated-values;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: `${state.base}.accepted.tsv`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
