"""Which writing system a text is in (ISO 15924 codes).

Script detection runs on every text that enters the system, so it must be cheap: a 1,000
character text takes a few microseconds. The Unicode Script property of every code point is
read once, lazily, from the ``regex`` module (its ``\\p{sc=Xxxx}`` classes, for every ISO 15924
code that the IANA registry shipped with ``langcodes`` lists), into a 1.1 MB lookup table;
after that a text is counted with one numpy gather and one ``bincount``.

Decisions:

- Only letters and marks of a real script count; Common (digits, punctuation, spaces, most
  symbols) and Inherited (combining marks shared by scripts) do not. A text with no such
  character is ``"Zyyy"`` (Common).
- Japanese: kana together with kanji is ``"Jpan"``; any kana at all makes the Han characters
  Japanese, because Chinese text does not use kana.
- Korean: Hangul with Hanja is ``"Kore"``, Hangul alone ``"Hang"``.
- Chinese: Han text is ``"Hans"`` or ``"Hant"`` when it holds more characters that exist only in
  the simplified (or only in the traditional) standard, from a short list of frequent pairs
  below, and ``"Hani"`` (Han, either) when neither side wins. The standard library has no
  Unihan variant data; ``hanzidentifier`` or ``opencc`` would do better on short or unusual
  texts, at the cost of a dependency.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# Frequent characters whose simplified and traditional forms differ, pair by pair (same
# position = same word). Left out on purpose: forms that the other standard also uses
# (后/後, 里/裡, 干/乾, 只/隻, 台/臺, 发/髮 ...) so that a hit is real evidence.
_SIMPLIFIED = (
    "这们个来时为说国对会学过还发没经样现长开见问进动从关电门书车东乐义习买卖给话认让语读写听间气钱边华"
    "专业汉么亲产实头两机当种难应单总觉变结统爱热图节观员务宝尔师带张际报场处贵领质军区马鱼鸟龙风飞齐页"
    "顺题请谢吗欢饭贝网络线级组织红绿蓝岁记论议许设计识证试诉该办历众"
)
_TRADITIONAL = (
    "這們個來時為說國對會學過還發沒經樣現長開見問進動從關電門書車東樂義習買賣給話認讓語讀寫聽間氣錢邊華"
    "專業漢麼親產實頭兩機當種難應單總覺變結統愛熱圖節觀員務寶爾師帶張際報場處貴領質軍區馬魚鳥龍風飛齊頁"
    "順題請謝嗎歡飯貝網絡線級組織紅綠藍歲記論議許設計識證試訴該辦歷眾"
)
_UNIVERSE_END = 0x323B0  # planes 0-3 hold every script character; planes 14-16 hold none
_NOT_COUNTED = ("Zyyy", "Zinh", "Zzzz")


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, tuple[str, ...]]:
    """Code point -> script index; index 0 is 'not counted', the last two mark Hans/Hant."""
    import numpy as np
    import regex
    from langcodes.registry_parser import parse_registry

    codes = []
    for item in parse_registry():
        code = item.get("Subtag", "")
        if item.get("Type") != "script" or ".." in code or code in _NOT_COUNTED:
            continue
        try:
            codes.append((code, regex.compile(rf"\p{{sc={code}}}+")))
        except regex.error:  # ISO 15924 codes with no Unicode script (Latf, Hans, ...)
            continue
    points = np.arange(_UNIVERSE_END, dtype=np.uint32)
    points[(points >= 0xD800) & (points < 0xE000)] = 0x20  # surrogates cannot be decoded
    universe = points.tobytes().decode("utf-32-le")
    table = np.zeros(0x110000, dtype=np.uint8)
    names = ["Zyyy"]
    for code, pattern in codes:
        index = len(names)
        hit = False
        for m in pattern.finditer(universe):
            table[m.start() : m.end()] = index
            hit = True
        if hit:
            names.append(code)
    names += ["Hans", "Hant"]
    for chars, index in ((_SIMPLIFIED, len(names) - 2), (_TRADITIONAL, len(names) - 1)):
        table[[ord(c) for c in chars]] = index
    if len(names) > 255:  # pragma: no cover - Unicode has about 170 scripts
        raise RuntimeError("too many scripts for a uint8 table")
    return table, tuple(names)


def _counts(text: str) -> tuple[dict[str, int], int, int]:
    """Per-script counts (Han merged), plus the simplified-only and traditional-only hits."""
    if not isinstance(text, str):
        raise TypeError(f"Script detection needs a str. Got {type(text).__name__} instead.")
    import numpy as np

    table, names = _tables()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    counts = np.bincount(table[points], minlength=len(names))
    merged: dict[str, int] = {}
    for index in np.flatnonzero(counts[1:]) + 1:
        name = names[index]
        if name in ("Hans", "Hant"):
            name = "Hani"
        merged[name] = merged.get(name, 0) + int(counts[index])
    return merged, int(counts[-2]), int(counts[-1])


def script_counts(text: str) -> dict[str, int]:
    """Count the letters and marks of each script in ``text``, most frequent first.

    Keys are ISO 15924 codes as Unicode names them (``"Hani"`` for all Han characters,
    ``"Hira"``, ``"Kana"``, ``"Hang"`` separately); characters of no particular script are
    not counted.
    """
    merged, _, _ = _counts(text)
    return dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))


def detect_script(text: str) -> str:
    """Return the ISO 15924 code of the dominant script of ``text`` (see the module notes).

    CJK scripts are grouped first (``"Jpan"``, ``"Kore"``, ``"Hans"``/``"Hant"``/``"Hani"``), then
    the group with the most characters wins; ties go to the alphabetically first code so that
    the answer never depends on dictionary order. ``"Zyyy"`` when nothing counts.
    """
    counts, simplified, traditional = _counts(text)
    if not counts:
        return "Zyyy"
    han = counts.pop("Hani", 0)
    kana = counts.pop("Hira", 0) + counts.pop("Kana", 0)
    hangul = counts.pop("Hang", 0)
    if kana:
        counts["Jpan"] = kana + han
    elif hangul and han:
        counts["Kore"] = hangul + han
    elif han:
        variant = "Hans" if simplified > traditional else "Hant" if traditional > simplified else "Hani"
        counts[variant] = han
    if hangul and "Kore" not in counts:
        counts["Hang"] = hangul
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
