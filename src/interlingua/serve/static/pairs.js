// Mined-pairs files, as the library writes them (interlingua.mine.pair_lines):
//   TSV: "# interlingua {provenance}" (optional), the header, then one pair a row;
//   JSONL: one object a line with the same six fields.
// parsePairs reads either; toTsv writes chosen pairs back in the TSV form, keeping the
// provenance line and each TSV row exactly as it was read.

export const FIELDS = ["score", "src_id", "tgt_id", "src_text", "tgt_text", "cosine"];
export const HEADER = FIELDS.join("\t");
const PROVENANCE = "# interlingua";

export class PairsError extends Error {}

/** {format, comment, pairs: [{score, src_id, tgt_id, src_text, tgt_text, cosine, raw}]} */
export function parsePairs(text, name = "the file") {
  const body = text.replace(/^\uFEFF/, "");
  const first = body.trimStart()[0];
  const jsonl = /\.jsonl?$/i.test(name) || first === "{";
  return jsonl ? parseJsonl(body, name) : parseTsv(body, name);
}

function parseTsv(text, name) {
  const lines = text.split(/\r?\n/);
  let comment = null;
  let header = false;
  const pairs = [];
  lines.forEach((line, i) => {
    const where = `${name}, line ${i + 1}`;
    if (!line.trim()) return;
    if (line.startsWith("#")) {
      if (comment === null && !header && line.startsWith(PROVENANCE)) comment = line;
      return; // the library's readers skip comment lines too
    }
    if (!header) {
      if (line !== HEADER) {
        throw new PairsError(
          `${where}: expected the pairs header "${FIELDS.join("<TAB>")}"; got "${line.slice(0, 80)}".`,
        );
      }
      header = true;
      return;
    }
    const cells = line.split("\t");
    if (cells.length !== FIELDS.length) {
      throw new PairsError(`${where}: expected ${FIELDS.length} tab-separated fields; got ${cells.length}.`);
    }
    const [score, src_id, tgt_id, src_text, tgt_text, cosine] = cells;
    pairs.push({ score: number(score, where, "score"), src_id, tgt_id, src_text, tgt_text, cosine: number(cosine, where, "cosine"), raw: line });
  });
  if (!header) throw new PairsError(`${name}: no header line "${FIELDS.join("<TAB>")}"; is it a mined-pairs file?`);
  return { format: "tsv", comment, pairs };
}

function parseJsonl(text, name) {
  const pairs = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${name}, line ${i + 1}`;
    if (!line.trim()) return;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new PairsError(`${where}: not a JSON object (${err.message}).`);
    }
    if (!rec || typeof rec !== "object" || Array.isArray(rec)) throw new PairsError(`${where}: not a JSON object.`);
    for (const f of FIELDS) {
      if (!(f in rec)) throw new PairsError(`${where}: the field "${f}" is missing.`);
    }
    pairs.push({
      score: number(rec.score, where, "score"),
      src_id: String(rec.src_id),
      tgt_id: String(rec.tgt_id),
      src_text: String(rec.src_text ?? ""),
      tgt_text: String(rec.tgt_text ?? ""),
      cosine: number(rec.cosine, where, "cosine"),
      raw: null,
    });
  });
  return { format: "jsonl", comment: null, pairs };
}

function number(value, where, field) {
  const x = Number(value);
  if (value === "" || value === null || !Number.isFinite(x)) {
    throw new PairsError(`${where}: "${field}" must be a number; got "${value}".`);
  }
  return x;
}

/** A text as one TSV field, as the library writes it: tabs and line breaks become spaces. */
export function oneField(text) {
  const parts = text.replace(/\t/g, " ").split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts.join(" ");
}

function row(p) {
  if (p.raw !== null) return p.raw;
  return [p.score.toFixed(6), p.src_id, p.tgt_id, oneField(p.src_text), oneField(p.tgt_text), p.cosine.toFixed(6)].join("\t");
}

/** The TSV of ``pairs`` (in their order): the provenance line when there was one, the header, the rows. */
export function toTsv(pairs, comment) {
  const lines = comment ? [comment, HEADER] : [HEADER];
  for (const p of pairs) lines.push(row(p));
  return lines.join("\n") + "\n";
}
