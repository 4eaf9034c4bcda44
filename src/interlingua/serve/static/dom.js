// Small DOM helpers: elements from data (text is always set as text, never parsed as HTML).

const SVG = "http://www.w3.org/2000/svg";

/** el("p", {class: "x", lang: "zh"}, "text", child, null) -> an element; null children are skipped. */
export function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const fmt = {
  int: (n) => (n == null ? "?" : Number(n).toLocaleString("en")),
  num: (x, digits) => (x == null || Number.isNaN(Number(x)) ? "–" : Number(x).toFixed(digits)),
};

/** Whether a key press belongs to a control that types (the review keys leave those alone). */
export function typing(target) {
  if (!target || !target.closest) return false;
  if (target.isContentEditable) return true;
  const control = target.closest("input, textarea, select");
  if (!control) return false;
  const kind = (control.getAttribute("type") || "text").toLowerCase();
  return !["checkbox", "radio", "button", "submit", "file", "reset"].includes(kind);
}
