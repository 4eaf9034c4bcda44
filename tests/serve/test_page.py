"""The web page at ``/``, driven in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, through selenium) against a real server over the demo collection.

Rendering is checked with the DevTools protocol: ``CSS.getPlatformFontsForNode`` names the font
files that drew a node's text, so a Chinese hit must come out in a CJK font and a Thai one in a
Thai font, not as boxes. One browser serves the whole module.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE_BROWSER = os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)

pytestmark = pytest.mark.skipif(
    not HAVE_BROWSER,
    reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM} or {CHROMEDRIVER} is missing): "
    "apt-get install chromium chromium-driver fonts-noto-cjk fonts-thai-tlwg",
)

QUERY = "Wie backe ich zu Hause Brot?"
#: fonts-thai-tlwg's families, and Noto's Thai ones
THAI_FONTS = {
    "Garuda", "Kinnari", "Laksaman", "Loma", "Norasi", "Purisa", "Sawasdee", "Umpush", "Waree",
    "Tlwg Mono", "Tlwg Typewriter", "Tlwg Typist", "Tlwg Typo", "Noto Sans Thai", "Noto Serif Thai",
    "Noto Sans Thai Looped", "Noto Sans Thai UI",
}  # fmt: skip
HEADER = "score\tsrc_id\ttgt_id\tsrc_text\ttgt_text\tcosine"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"):
        opts.add_argument(arg)
    opts.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
        },
    )
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.set_window_size(1280, 800)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = 30, what: str = "the page"):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: condition(d), message=f"timed out waiting for {what}"
    )


def open_view(driver, url: str, view: str) -> None:
    driver.get(f"{url}/#{view}")
    wait(
        driver,
        lambda d: d.execute_script("return document.body.dataset.ready === 'true'"),
        what="the page to start",
    )


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver, selector) -> str:
    return css(driver, selector)[0].get_attribute("textContent").strip()


def search(driver, query: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = css(driver, "#query")[0]
    box.clear()
    box.send_keys(query, Keys.ENTER)  # the keyboard submits the form


def hit_langs(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#hits li.hit')].map(li => li.dataset.lang)"
    )


def platform_fonts(driver, selector: str) -> list[dict]:
    """The fonts Chromium drew the node's text with, most glyphs first (DevTools protocol)."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"no node for {selector}"
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return sorted(fonts, key=lambda f: -f["glyphCount"])


def test_a_german_query_finds_and_draws_the_chinese_and_thai_passages(browser, live_server):
    open_view(browser, live_server, "search")
    wait(browser, lambda d: css(d, "#chip-list input"), what="the language chips")
    assert css(browser, "#collection")[0].get_attribute("value") == "demo"
    search(browser, QUERY)
    wait(browser, lambda d: css(d, '#hits li[data-id="cooking-th"]'), what="the Thai cooking passage")
    ids = browser.execute_script(
        "return [...document.querySelectorAll('#hits li.hit')].map(li => li.dataset.id)"
    )
    assert {"cooking-zh", "cooking-th"} <= set(ids)
    assert text_of(browser, "#query-lang") == "de"
    for lang, fonts_ok in (
        ("zh", lambda fam: "CJK" in fam),
        ("th", lambda fam: fam in THAI_FONTS or "Thai" in fam),
    ):
        selector = f'#hits li[data-id="cooking-{lang}"] .hit-text'
        node = css(browser, selector)[0]
        assert node.get_attribute("lang") == lang
        assert node.size["width"] > 0 and node.size["height"] > 0
        assert node.text.strip()
        fonts = platform_fonts(browser, selector)
        assert fonts and fonts_ok(fonts[0]["familyName"]), (lang, fonts)
    hit = css(browser, '#hits li[data-id="cooking-zh"]')[0]
    assert hit.find_element("css selector", ".badge.lang").text == "zh"
    assert hit.find_element("css selector", ".badge.script").text == "Hans"
    assert hit.find_element("css selector", '[data-score="dense"]').text


def test_language_chips_filter_the_hits(browser, live_server):
    from selenium.webdriver.common.keys import Keys

    open_view(browser, live_server, "search")
    wait(browser, lambda d: css(d, '#chip-list input[value="th"]'), what="the language chips")
    search(browser, QUERY)
    wait(browser, lambda d: len(set(hit_langs(d))) > 2, what="hits in many languages")
    for lang in ("zh", "th"):  # toggled from the keyboard; each change searches again
        css(browser, f'#chip-list input[value="{lang}"]')[0].send_keys(Keys.SPACE)
    wait(browser, lambda d: set(hit_langs(d)) == {"zh", "th"}, what="only zh and th hits")
    css(browser, '#chip-list input[value="zh"]')[0].send_keys(Keys.SPACE)
    wait(browser, lambda d: set(hit_langs(d)) == {"th"}, what="only th hits")
    assert len(hit_langs(browser)) == 10  # the demo's ten Thai passages, all of them


def test_compare_draws_word_links_and_shows_errors(browser, live_server):
    from selenium.webdriver.common.keys import Keys

    open_view(browser, live_server, "compare")
    for field, text in (("source", "Der Hund schläft."), ("target", "The dog is sleeping.")):
        box = css(browser, f"#{field}")[0]
        box.clear()
        box.send_keys(text)
    css(browser, "#compare-go")[0].click()
    wait(browser, lambda d: css(d, "#align-svg line.link"), what="link lines")
    assert 0.0 < float(text_of(browser, "#similarity")) <= 1.0
    lines = browser.execute_script(
        "return [...document.querySelectorAll('#align-svg line.link')].map(l => "
        "[l.x1.baseVal.value, l.y1.baseVal.value, l.x2.baseVal.value, l.y2.baseVal.value])"
    )
    assert all(y2 > y1 for _, y1, _, y2 in lines)  # from the first text down to the second
    assert [t.text for t in css(browser, "#source-tokens .token")] == ["Der", "Hund", "schläft", "."]
    css(browser, "#target")[0].clear()
    css(browser, "#target")[0].send_keys("   ", Keys.CONTROL, Keys.ENTER)  # the server's 422, shown
    wait(browser, lambda d: css(d, "#compare-error")[0].is_displayed(), what="the error")
    assert "'target' field must hold some text" in text_of(browser, "#compare-error")
    assert css(browser, "#compare-result")[0].get_attribute("hidden") is not None


def pairs_tsv(path: Path) -> list[str]:
    comment = "# interlingua " + json.dumps({"space": "e5-small", "margin": "ratio"})
    rows = [
        f"{1.2 - i / 100:.6f}\ts{i}\tt{i}\tQuelle {i}\tTarget {i} {'猫' if i == 3 else ''}\t{0.9 - i / 100:.6f}"
        for i in range(1, 6)
    ]
    path.write_text("\n".join([comment, HEADER, *rows]) + "\n", encoding="utf-8")
    return [comment, *rows]


def downloaded(folder: Path, name: str, timeout: float = 15) -> str:
    target = folder / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target.read_text(encoding="utf-8")
        time.sleep(0.05)
    raise AssertionError(f"no {name} in {folder}: {sorted(p.name for p in folder.iterdir())}")


def press(driver, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    for k in keys:
        ActionChains(driver).send_keys(k).perform()


def counters(driver) -> tuple[int, int, int]:
    return tuple(int(text_of(driver, f"#n-{n}")) for n in ("accepted", "rejected", "left"))


def test_review_accept_reject_undo_and_export_with_the_keyboard(browser, live_server, tmp_path, downloads):
    from selenium.webdriver.common.keys import Keys

    comment, *rows = pairs_tsv(tmp_path / "pairs.tsv")
    open_view(browser, live_server, "review")
    css(browser, "#pairs-file")[0].send_keys(str(tmp_path / "pairs.tsv"))
    wait(browser, lambda d: text_of(d, "#total") == "5", what="the five pairs")
    assert text_of(browser, "#pair-src") == "Quelle 1"
    assert "accept" in text_of(browser, ".keys") and "reject" in text_of(browser, ".keys")
    press(browser, "a", "r", "r")  # pair 3 rejected by mistake ...
    assert counters(browser) == (1, 2, 2)
    press(browser, "u")  # ... undone: back on pair 3, undecided
    assert text_of(browser, "#pair-src") == "Quelle 3" and counters(browser) == (1, 1, 3)
    press(browser, "a", Keys.ARROW_LEFT)  # back to look at pair 3 again
    assert text_of(browser, "#pair-state") == "accepted"
    press(browser, Keys.ARROW_RIGHT, "a", "r")
    assert counters(browser) == (3, 2, 0)
    assert css(browser, "#review-done")[0].is_displayed()
    for old in downloads.glob("*"):
        old.unlink()
    press(browser, "e")
    got = downloaded(downloads, "pairs.accepted.tsv")
    assert got == "\n".join([comment, HEADER, rows[0], rows[2], rows[3]]) + "\n"


def post_json(url: str, body: dict) -> dict:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as res:
        return res.read()


def test_review_loads_a_finished_mine_jobs_result(browser, live_server, demo_passages, downloads):
    from selenium.webdriver.common.keys import Keys

    rows = [json.loads(line) for line in demo_passages.read_text(encoding="utf-8").splitlines()]
    de = [{"id": r["id"], "text": r["text"]} for r in rows if r["lang"] == "de"][:6]
    fr = [{"id": r["id"], "text": r["text"]} for r in rows if r["lang"] == "fr"][:6]
    job = post_json(f"{live_server}/jobs/mine", {"src": de, "tgt": fr})
    deadline = time.monotonic() + 60
    while (state := json.loads(get(f"{live_server}/jobs/{job['id']}")))["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    assert state["state"] == "done", state
    pairs = [
        json.loads(x) for x in get(f"{live_server}/jobs/{job['id']}/result?format=jsonl").splitlines() if x
    ]
    tsv = get(f"{live_server}/jobs/{job['id']}/result?format=tsv").decode().splitlines()
    tsv_rows = [line for line in tsv if not line.startswith("#") and line != HEADER]
    assert pairs
    open_view(browser, live_server, "review")
    css(browser, "#job-id")[0].send_keys(job["id"], Keys.ENTER)
    wait(browser, lambda d: text_of(d, "#total") == str(len(pairs)), what="the job's pairs")
    assert text_of(browser, "#pair-src") == pairs[0]["src_text"]
    for old in downloads.glob("*"):
        old.unlink()
    press(browser, "a", "e")
    got = downloaded(downloads, f"job-{job['id']}.accepted.tsv").splitlines()
    assert got == [HEADER, tsv_rows[0]]


def test_the_page_asks_for_the_api_key_once_and_sends_it(browser, library, tmp_path):
    from tests.serve.conftest import running_server

    with running_server(
        collections=(str(library),), jobs_dir=str(tmp_path / "jobs"), api_key="sekret"
    ) as url:
        browser.get(url + "/")
        wait(
            browser,
            lambda d: d.execute_script("return document.getElementById('auth').open"),
            what="the key form",
        )
        box = css(browser, "#api-key")[0]
        box.send_keys("wrong\n")
        wait(browser, lambda d: css(d, "#auth-error")[0].is_displayed(), what="the refusal")
        box.send_keys("sekret\n")
        wait(
            browser,
            lambda d: d.execute_script("return document.body.dataset.ready === 'true'"),
            what="the page",
        )
        assert css(browser, "#collection")[0].get_attribute("value") == "demo"
        assert browser.execute_script("return sessionStorage.getItem('interlingua.apiKey')") == "sekret"
        search(browser, QUERY)  # later calls send the kept key: no second form
        wait(browser, lambda d: css(d, "#hits li.hit"), what="hits")
        assert not browser.execute_script("return document.getElementById('auth').open")
        browser.execute_script("sessionStorage.clear()")


@pytest.mark.parametrize("view", ["search", "compare", "review"])
def test_every_view_fits_a_narrow_screen(browser, live_server, view):
    browser.set_window_size(390, 844)
    try:
        open_view(browser, live_server, view)
        wide = browser.execute_script("return document.documentElement.scrollWidth")
        assert wide <= browser.execute_script("return window.innerWidth"), f"{view} scrolls sideways"
        labels = browser.execute_script(
            "return [...document.querySelectorAll('input:not([type=radio]):not([type=checkbox]), select, textarea')]"
            ".filter(e => e.offsetParent && !e.labels.length).map(e => e.id)"
        )
        assert labels == [], f"controls without a label: {labels}"
    finally:
        browser.set_window_size(1280, 800)
