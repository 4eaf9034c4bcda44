// The compare view: POST /align/words, the cosine of the two texts, and the word links drawn as
// SVG lines between the words of both texts (redrawn when the layout changes).

import { call, showError } from "./api.js";
import { el, fmt } from "./dom.js";

const $ = (id) => document.getElementById(id);
let last = null; // the last answer, to redraw on resize

export function initCompare() {
  const form = $("compare-form");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    compare();
  });
  for (const id of ["source", "target"]) {
    $(id).addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        compare();
      }
    });
  }
  new ResizeObserver(() => last && drawLinks(last)).observe($("align-figure"));
}

/** Redraw after the view becomes visible (hidden elements have no size). */
export function showCompare() {
  if (last) requestAnimationFrame(() => drawLinks(last));
}

async function compare() {
  const body = { source: $("source").value, target: $("target").value, method: $("method").value };
  const result = $("compare-result");
  result.setAttribute("aria-busy", "true");
  try {
    const res = await call("/align/words", { method: "POST", body });
    showError($("compare-error"), null);
    last = res;
    render(res);
  } catch (err) {
    showError($("compare-error"), err);
    result.hidden = true;
    last = null;
  } finally {
    result.removeAttribute("aria-busy");
  }
}

function tokenRow(tokens, lang, side) {
  return tokens.map((t, i) =>
    el(
      "span",
      {
        class: "token",
        tabindex: 0,
        lang: lang && lang !== "und" ? lang : "",
        "data-side": side,
        "data-i": i,
        title: `characters ${t.start}-${t.end}`,
      },
      t.text,
    ),
  );
}

function render(res) {
  $("similarity").textContent = fmt.num(res.similarity, 4);
  $("compare-langs").textContent = ` · ${res.source_lang} (${res.source_script || "?"}) and ${res.target_lang} (${
    res.target_script || "?"
  }) · ${res.links.length} word links`;
  $("source-tokens").replaceChildren(...tokenRow(res.source_tokens, res.source_lang, "source"));
  $("target-tokens").replaceChildren(...tokenRow(res.target_tokens, res.target_lang, "target"));
  $("link-count").textContent = String(res.links.length);
  $("link-list").replaceChildren(
    ...res.links.map((l) =>
      el(
        "li",
        {},
        el("span", { lang: res.source_lang }, res.source_tokens[l.source].text),
        " ↔ ",
        el("span", { lang: res.target_lang }, res.target_tokens[l.target].text),
        ` (${fmt.num(l.score, 2)})`,
      ),
    ),
  );
  $("compare-result").hidden = false;
  drawLinks(res);
}

function drawLinks(res) {
  const fig = $("align-figure");
  const svg = $("align-svg");
  const box = fig.getBoundingClientRect();
  if (!box.width) return; // hidden: drawn when shown
  svg.setAttribute("width", box.width);
  svg.setAttribute("height", box.height);
  svg.setAttribute("viewBox", `0 0 ${box.width} ${box.height}`);
  const src = [...$("source-tokens").children];
  const tgt = [...$("target-tokens").children];
  const lines = res.links.map((l) => {
    const a = src[l.source].getBoundingClientRect();
    const b = tgt[l.target].getBoundingClientRect();
    const strength = Math.min(1, Math.max(0, l.score));
    return el("svg:line", {
      class: "link",
      x1: a.left + a.width / 2 - box.left,
      y1: a.bottom - box.top,
      x2: b.left + b.width / 2 - box.left,
      y2: b.top - box.top,
      "stroke-width": (1.5 + 3 * strength).toFixed(2),
      "stroke-opacity": (0.35 + 0.65 * strength).toFixed(2),
      "data-source": l.source,
      "data-target": l.target,
    });
  });
  svg.replaceChildren(...lines);
  for (const token of [...src, ...tgt]) {
    token.onmouseenter = token.onfocus = () => highlight(token, true);
    token.onmouseleave = token.onblur = () => highlight(token, false);
  }
}

function highlight(token, on) {
  const side = token.dataset.side;
  const other = side === "source" ? "target" : "source";
  const i = token.dataset.i;
  token.classList.toggle("active", on);
  for (const line of $("align-svg").querySelectorAll(`line[data-${side}="${i}"]`)) {
    line.classList.toggle("active", on);
    const partner = $(`${other}-tokens`).children[Number(line.dataset[other])];
    if (partner) partner.classList.toggle("active", on);
  }
}
