"""The course site: its build script, its pages in both languages, and the built site in a browser.

The fast tests check the pieces by hand-worked examples (how figures are numbered, how the
language switch links, which toctree entries are kept, which module describes a re-exported
name). The slow ones build the whole site once (notebooks executed on the default world, both
languages) and open every page with headless Chromium from Debian's ``chromium`` package:
no console errors, every image loaded, every local link resolving, the language switch landing
on the same page, search answering, formulas typeset offline, and screenshots kept for the
record in ``course/_build/screenshots/``.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import types
import urllib.parse
from pathlib import Path

import nbformat
import pytest

import fidelia_kit

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
SITE_DIR = COURSE / "site"
SCREENSHOTS = COURSE / "_build" / "screenshots"
LANGUAGES = ("en", "es")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("course_site_build", SITE_DIR / "build.py")
conf = _load("course_site_conf", SITE_DIR / "conf.py")


# --- the figure extractor ----------------------------------------------------------------------

def _png(tag: bytes) -> str:
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + tag).decode()


def test_figures_are_numbered_by_cell_then_output_and_only_png_counts(tmp_path):
    new_output = nbformat.v4.new_output
    cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("plot a", outputs=[new_output("stream", name="stdout", text="hello\n"),
                                                      new_output("display_data", {"image/png": _png(b"A")})]),
        nbformat.v4.new_code_cell("nothing", outputs=[]),
        nbformat.v4.new_code_cell("b, svg, c", outputs=[
            new_output("execute_result", {"text/plain": "<Figure>", "image/png": _png(b"B")}, execution_count=3),
            new_output("display_data", {"image/svg+xml": "<svg/>"}),
            new_output("display_data", {"image/png": _png(b"C")}),
        ]),
        nbformat.v4.new_raw_cell("image/png in a raw cell is not an output"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "nb.ipynb")
    out = tmp_path / "figures"
    out.mkdir()
    (out / "fig9.png").write_bytes(b"stale")  # from an earlier run with more figures

    written = build.extract_figures(tmp_path / "nb.ipynb", out)

    assert [p.name for p in written] == ["fig1.png", "fig2.png", "fig3.png"]
    assert sorted(p.name for p in out.iterdir()) == ["fig1.png", "fig2.png", "fig3.png"]
    for k, tag in enumerate([b"A", b"B", b"C"], start=1):
        assert (out / f"fig{k}.png").read_bytes() == b"\x89PNG\r\n\x1a\n" + tag


def test_prepare_language_puts_notebooks_and_figures_where_the_lessons_expect_them(tmp_path):
    executed = tmp_path / "executed"
    executed.mkdir()
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", {"image/png": _png(b"X")})])
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), executed / "02_value_segmentation.ipynb")
    course = tmp_path / "course"
    (course / "en" / "figures" / "99_gone").mkdir(parents=True)  # a notebook that no longer exists
    (course / "en" / "notebooks").mkdir()
    (course / "en" / "notebooks" / "99_gone.ipynb").write_text("{}")

    build.prepare_language(course, "en", [executed / "02_value_segmentation.ipynb"])

    assert (course / "en" / "notebooks" / "02_value_segmentation.ipynb").is_file()
    assert (course / "en" / "figures" / "02_value_segmentation" / "fig1.png").read_bytes().endswith(b"X")
    assert not (course / "en" / "figures" / "99_gone").exists()
    assert not (course / "en" / "notebooks" / "99_gone.ipynb").exists()


# --- the configuration's helpers --------------------------------------------------------------

@pytest.mark.parametrize(("page", "lang", "expected"), [
    ("index", "en", ("es", "../es/index.html")),
    ("index", "es", ("en", "../en/index.html")),
    ("lessons/01_loyalty_ladder", "en", ("es", "../../es/lessons/01_loyalty_ladder.html")),
    ("guide/answers/03", "es", ("en", "../../../en/guide/answers/03.html")),
])
def test_language_switch_links_to_the_same_page_in_the_other_language(page, lang, expected):
    assert conf.language_switch(page, lang) == expected
    # followed from the page's own folder, the link lands on <other>/<page>.html beside <lang>/
    other, href = expected
    landed = os.path.normpath(os.path.join("site", lang, os.path.dirname(page), href))
    assert landed == os.path.join("site", other, page + ".html")


def test_toctree_entries_without_a_page_are_left_out_and_the_rest_kept(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01_loyalty_ladder.md").write_text("# L1")
    (tmp_path / "glossary.md").write_text("# G")
    source = ("intro\n\n```{toctree}\n:caption: Course\n:glob:\n\nsyllabus\nlessons/*\nglossary\n"
              "notebooks/*\n```\n\nsyllabus is named in prose too\n")
    kept = conf.present_entries(source, tmp_path)
    assert kept == ("intro\n\n```{toctree}\n:caption: Course\n:glob:\n\nlessons/*\nglossary\n```\n\n"
                    "syllabus is named in prose too\n")


def test_a_reexported_name_is_described_only_where_it_is_defined():
    from fidelia_kit.exceptions import DataError
    from fidelia_kit.notebook import record

    documented = {"fidelia_kit.io", "fidelia_kit.exceptions", "fidelia_kit.notebook", "fidelia_kit.runner"}
    assert conf.defined_elsewhere(DataError, "DataError", "fidelia_kit.io", documented)
    assert not conf.defined_elsewhere(DataError, "DataError", "fidelia_kit.exceptions", documented)
    assert conf.defined_elsewhere(record, "record", "fidelia_kit.runner", documented)
    # defined in a module the reference does not document: described where it is exported
    assert not conf.defined_elsewhere(DataError, "DataError", "fidelia_kit.io", {"fidelia_kit.io"})
    assert not conf.defined_elsewhere(3, "CONSTANT", "fidelia_kit.io", documented)


# --- the site's own pages ----------------------------------------------------------------------

def _automodules(lang: str) -> list[str]:
    return re.findall(r"^```\{automodule\}\s+(\S+)", (COURSE / lang / "api.md").read_text(), flags=re.M)


def test_api_reference_documents_every_public_module_in_both_languages():
    en, es = _automodules("en"), _automodules("es")
    assert en == es
    assert len(set(en)) == len(en)
    public = {f"fidelia_kit.{n}" for n in fidelia_kit.__all__ if isinstance(getattr(fidelia_kit, n), types.ModuleType)}
    assert public <= set(en), f"not in the API reference: {sorted(public - set(en))}"
    for name in en:
        assert hasattr(importlib.import_module(name), "__all__"), name


def _labels(path: Path) -> list[str]:
    return re.findall(r"^\(([\w-]+)\)=$", path.read_text(), flags=re.M)


@pytest.mark.parametrize("page", ["index.md", "exercises.md", "api.md"])
def test_every_heading_has_the_same_label_in_both_languages(page):
    for lang in LANGUAGES:
        lines = (COURSE / lang / page).read_text().splitlines()
        headings = [i for i, line in enumerate(lines) if re.match(r"#{1,3} ", line)]
        assert headings, page
        assert all(i > 0 and re.fullmatch(r"\([\w-]+\)=", lines[i - 1]) for i in headings), (lang, page)
    assert _labels(COURSE / "en" / page) == _labels(COURSE / "es" / page)


def test_each_exercise_has_a_section_and_its_student_notebook_in_the_page_language():
    folders = sorted(p.name for p in (COURSE / "exercises").iterdir() if p.is_dir())
    assert len(folders) == 6
    for lang in LANGUAGES:
        page = COURSE / lang / "exercises.md"
        text = page.read_text()
        assert [x for x in _labels(page) if x.startswith("exercise-")] == [f"exercise-{f[:2]}" for f in folders]
        roles = re.findall(r"\{exercise-notebook\}`([^`]+)`", text)
        targets = [conf.exercise_notebook_target(r, lang).rsplit("<", 1)[1].rstrip(">") for r in roles]
        assert targets == [f"/../exercises/{f}/exercise.{lang}.ipynb" for f in folders]
        assert all((COURSE / lang / t.lstrip("/")).resolve().is_file() for t in targets)


@pytest.mark.parametrize("text", ["", "   ", "title <>"])
def test_exercise_notebook_role_refuses_text_without_a_folder(text):
    with pytest.raises(ValueError, match="exercise-notebook: expected"):
        conf.exercise_notebook_target(text, "en")


def test_build_script_refuses_a_folder_that_is_not_the_course_in_one_line(tmp_path, capsys):
    assert build.main(["--course", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("build.py: error: --course") and "en/index.md" in err
    assert build.main(["--notebooks", str(tmp_path)]) == 2
    assert "--notebooks" in capsys.readouterr().err


# --- the built site, in a browser --------------------------------------------------------------

MATH_PROBE = """---
orphan: true
---

(math-probe)=
# Formula

$$\\mathrm{CLV} = \\sum_{t=1}^{T} \\frac{m_t \\, r^{t}}{(1 + d)^{t}}$$
"""


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The whole site, built once from a copy of course/ (the working tree stays untouched)."""
    tmp = tmp_path_factory.mktemp("course_site")
    course = tmp / "course"
    generated = shutil.ignore_patterns("_build", "notebooks", "figures", ".ipynb_checkpoints", "__pycache__")
    shutil.copytree(COURSE, course, ignore=generated)
    for lang in LANGUAGES:  # a page with a formula, so that typesetting offline is always checked
        (course / lang / "math_probe.md").write_text(MATH_PROBE)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(course / "site" / "build.py"), "--course", str(course),
                             "--build", str(tmp / "build"), "--notebooks", str(ROOT / "notebooks")],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    print(f"course site built in {time.perf_counter() - start:.0f} s")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return tmp / "build" / "site"


def _pages(site: Path, lang: str) -> list[str]:
    skip = {"_static", "_images", "_downloads", "_sources"}
    return sorted(p.relative_to(site / lang).as_posix() for p in (site / lang).rglob("*.html")
                  if not skip.intersection(p.relative_to(site / lang).parts))


@pytest.mark.slow
def test_build_gives_both_languages_the_same_pages_and_the_lessons_figures(site):
    en, es = _pages(site, "en"), _pages(site, "es")
    assert en == es
    stems = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for lang in LANGUAGES:
        pages = _pages(site, lang)
        assert {"index.html", "exercises.html", "api.html", "search.html"} <= set(pages)
        assert [p for p in pages if p.startswith("notebooks/")] == [f"notebooks/{s}.html" for s in stems]
        assert len(list((site / lang / "_downloads").rglob(f"exercise.{lang}.ipynb"))) == 6
    assert (site / "index.html").is_file() and (site / ".nojekyll").is_file()
    # the lessons' figures: fig<k>.png is the k-th PNG output of the notebook executed for the site
    figures = site.parent.parent / "course" / "en" / "figures"
    executed = site.parent / "executed"
    for stem in stems:
        nb = nbformat.read(executed / f"{stem}.ipynb", as_version=4)
        pngs = [base64.b64decode(o["data"]["image/png"]) for c in nb.cells if c.cell_type == "code"
                for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert [p.read_bytes() for p in sorted((figures / stem).glob("fig*.png"),
                                               key=lambda p: int(p.stem[3:]))] == pngs


@pytest.fixture(scope="module")  # closed when this file's tests end: no browser left behind for later tests
def browser():
    """Headless Chromium (Debian's package) through its matching chromedriver."""
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "no chromium/chromedriver on PATH (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run installs them, so CI must not skip the browser test")
        print(f"SKIP browser test: {reason}")
        pytest.skip(reason)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - selenium is in the test extras
        pytest.fail("selenium is not installed: pip install -e '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(driver, url: str) -> list[dict]:
    """Load a page, wait for it and for MathJax, and return the console's messages."""
    driver.get(url)
    deadline = time.monotonic() + 30
    while driver.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.set_script_timeout(30)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(() => done(true)); } else { done(false); }")
    return driver.get_log("browser")


def _local_targets(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'))"
        ".map(e => e.href || e.src).filter(u => u.startsWith('file:'));")


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_loads_without_errors_with_its_images_and_local_links(site, browser, lang):
    problems = []
    for page in _pages(site, lang):
        url = (site / lang / page).as_uri()
        logs = _open(browser, url)
        problems += [f"{page}: console: {e['message'][:300]}" for e in logs if e["level"] == "SEVERE"]
        assert browser.execute_script("return document.documentElement.lang") == lang, page
        broken = browser.execute_script(
            "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'));")
        problems += [f"{page}: image not loaded: {src}" for src in broken]
        for target in _local_targets(browser):
            path = Path(urllib.parse.unquote(urllib.parse.urlsplit(target).path))
            if not path.is_file():
                problems.append(f"{page}: link to a missing file: {target}")
            elif not path.resolve().is_relative_to(site.resolve()):
                problems.append(f"{page}: link leaves the site: {target}")
        remote = browser.execute_script(
            "return performance.getEntriesByType('resource').map(r => r.name)"
            ".filter(u => !u.startsWith('file:') && !u.startsWith('data:'));")
        problems += [f"{page}: fetched from the network: {u}" for u in remote]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_formulas_are_typeset_offline(site, browser):
    for lang in LANGUAGES:
        _open(browser, (site / lang / "math_probe.html").as_uri())
        rendered = browser.execute_script(
            "return [document.querySelectorAll('.MathJax, .MathJax_Display').length,"
            " document.querySelectorAll('.MathJax_Error, merror').length,"
            " document.body.innerText.includes('\\\\frac')];")
        assert rendered[0] >= 2 and rendered[1] == 0 and not rendered[2], (lang, rendered)


@pytest.mark.slow
def test_language_switch_opens_the_same_page_in_the_other_language(site, browser):
    from selenium.webdriver.common.by import By

    pages = ["index.html", "exercises.html", "api.html", "genindex.html", "notebooks/04_customer_lifetime_value.html"]
    pages += [p for p in _pages(site, "en") if p.startswith(("lessons/", "guide/"))][:3]
    for lang, other in (("en", "es"), ("es", "en")):
        for page in pages:
            _open(browser, (site / lang / page).as_uri())
            switch = browser.find_element(By.ID, "lang-switch")
            assert switch.is_displayed(), (lang, page)
            switch.click()
            assert browser.current_url == (site / other / page).as_uri(), (lang, page)
            assert browser.execute_script("return document.documentElement.lang") == other


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "word", "expected_page"), [
    ("en", "loyalty", "index.html"),
    ("es", "fidelización", "index.html"),
    ("en", "Cronbach", "exercises.html"),
])
def test_search_finds_the_pages_holding_a_word(site, browser, lang, word, expected_page):
    glossary = site / lang / "glossary.html"
    if word == "fidelización" and glossary.is_file():
        expected_page = "glossary.html"  # the term is the glossary's own
    _open(browser, (site / lang / "search.html").as_uri() + "?q=" + urllib.parse.quote(word))
    # results are added one every few milliseconds (and the Spanish catalogue has no text for the
    # final summary): wait until some are shown and their number holds still for a second
    counts, deadline = [], time.monotonic() + 30
    while time.monotonic() < deadline and not (len(counts) >= 5 and counts[-1] > 0 and len(set(counts[-5:])) == 1):
        counts.append(browser.execute_script("return document.querySelectorAll('#search-results ul.search li').length"))
        time.sleep(0.25)
    found = browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results ul.search li a'))"
        ".map(a => a.href);")
    assert any(href.split("?")[0].split("#")[0] == (site / lang / expected_page).as_uri() for href in found), found


@pytest.mark.slow
def test_screenshots_of_the_home_page_and_a_notebook_page_are_kept(site, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {"home_en.png": "en/index.html", "home_es.png": "es/index.html",
             "notebook_en.png": "en/notebooks/02_value_segmentation.html"}
    for name, page in shots.items():
        _open(browser, (site / page).as_uri())
        assert browser.save_screenshot(str(SCREENSHOTS / name)), name
        header = (SCREENSHOTS / name).read_bytes()[:24]
        width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert header[:8] == b"\x89PNG\r\n\x1a\n" and width == 1280 and height > 600, (name, width, height)
    (SCREENSHOTS / "pages.json").write_text(json.dumps(shots, indent=2))


@pytest.mark.slow
def test_root_page_sends_to_the_english_site_and_offers_the_spanish_one(site, browser):
    _open(browser, (site / "index.html").as_uri())
    deadline = time.monotonic() + 10
    while not browser.current_url.endswith("/en/index.html") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert browser.current_url == (site / "en" / "index.html").as_uri()
    assert 'href="es/index.html"' in (site / "index.html").read_text()
