"""Sphinx configuration shared by both languages of the course site.

Each language is built on its own (``sphinx-build -c course/site course/en ... -D language=en``);
``course/site/build.py`` runs both, after executing the notebooks. Everything a page needs is
copied into the site (no fonts, scripts or styles from elsewhere), so it opens from the file
system and works offline.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import fidelia_kit

SITE = Path(__file__).resolve().parent
LANGUAGES = ("en", "es")
TITLES = {"en": "Customer loyalty analytics with fidelia_kit",
          "es": "Analítica de la fidelización de clientes con fidelia_kit"}
SWITCH_LABELS = {"en": "Español", "es": "English"}

project = "fidelia_kit"
author = "fidelia_kit"
copyright = "fidelia_kit contributors"
release = fidelia_kit.__version__
version = release
language = "en"  # -D language=es for the Spanish site

extensions = [
    "myst_nb",  # MyST markdown pages and the executed notebooks (myst_parser comes with it)
    "sphinx.ext.autodoc",  # the API reference, from the docstrings
    "sphinx.ext.napoleon",  # reads their numpydoc sections
    "sphinx.ext.mathjax",  # formulas, with a local copy of MathJax (see below)
]

templates_path = [str(SITE / "_templates")]
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "README.md"]
root_doc = "index"

# MyST: $...$ and $$...$$ formulas, ::: fences, labels on every heading
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# the notebooks are executed once by build.py on the default world, never again here
nb_execution_mode = "off"
nb_merge_streams = True
suppress_warnings = ["mystnb.unknown_mime_type"]

# API reference
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# MathJax 2 from the jupyter-server-mathjax package, copied into _static/mathjax (offline), set up
# as Jupyter sets it up: HTML-CSS output with the STIX-Web font the package ships.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    # the blank font MathJax measures with points at about:blank, which a page from file:// may not load
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None,
                 "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}}},
    "messageStyle": "none",
    # MyST marks the page mathjax_ignore and each formula `math`: typeset only those
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processEscapes": False, "processEnvironments": False, "processRefs": False,
                "ignoreClass": "tex2jax_ignore|mathjax_ignore",
                "processClass": "tex2jax_process|mathjax_process|math|output_area"},
}

html_theme = "sphinx_book_theme"
html_title = "fidelia_kit"
html_static_path = [str(SITE / "_static")]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
# offline from file://: a browser refuses to fetch pages there, so search lists titles without the
# summaries it would fetch, and the theme starts in a set colour mode instead of reading a stored one
html_show_search_summary = False
html_context = {"default_mode": "light"}
html_theme_options = {
    "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": False,
    "search_bar_text": "",  # set per language in _page_context
}


def language_switch(pagename: str, language: str) -> tuple[str, str]:
    """The other language's code and the relative link from a page to the same page there.

    Both sites sit side by side (``en/`` and ``es/``) and hold the same page names, so the page
    ``lessons/01_loyalty_ladder`` of ``en/`` links to ``../../es/lessons/01_loyalty_ladder.html``.

    Examples
    --------
    >>> language_switch("lessons/01_loyalty_ladder", "en")
    ('es', '../../es/lessons/01_loyalty_ladder.html')
    >>> language_switch("index", "es")
    ('en', '../en/index.html')
    """
    other = "es" if language == "en" else "en"
    depth = pagename.count("/") + 1
    return other, "../" * depth + f"{other}/{pagename}.html"


def present_entries(text: str, srcdir: str | Path) -> str:
    """Drop the toctree entries of a page that name no page (yet) from its MyST source.

    The course's pages are written by several people; the home page lists every page of the
    course's layout, and a page that does not exist yet is left out rather than breaking the
    build. An entry is kept when ``<entry>.md`` or ``<entry>.ipynb`` matches a file (globs too).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "glossary.md").write_text("# Glossary")
    ...     present_entries("```{toctree}\\n:glob:\\n\\nglossary\\nsyllabus\\nlessons/*\\n```", d)
    '```{toctree}\\n:glob:\\n\\nglossary\\n```'
    """
    srcdir = Path(srcdir)
    out, in_toctree = [], False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```{toctree}"):
            in_toctree = True
        elif in_toctree and stripped.startswith("```"):
            in_toctree = False
        elif in_toctree and stripped and not stripped.startswith(":"):
            if not any(any(srcdir.glob(stripped + ext)) for ext in (".md", ".ipynb")):
                continue
        out.append(line)
    return "\n".join(out)


def _source_read(app, docname, source):
    if docname == app.config.root_doc:
        source[0] = present_entries(source[0], app.srcdir)


def exercise_notebook_target(text: str, language: str) -> str:
    """The ``{download}`` text for an exercise's student notebook in the page's language.

    ``{exercise-notebook}`Download <01_customer_database>``` on a page of the English site links
    ``exercise.en.ipynb`` of ``course/exercises/01_customer_database/``, on the Spanish site
    ``exercise.es.ipynb``: the two pages stay word for word alike in their links. The path starts
    at the language's folder (``/`` is the Sphinx source folder), so it works from any page.

    Examples
    --------
    >>> exercise_notebook_target("Download <01_customer_database>", "es")
    'Download </../exercises/01_customer_database/exercise.es.ipynb>'
    >>> exercise_notebook_target("02_satisfaction_survey", "en")
    'exercise.en.ipynb </../exercises/02_satisfaction_survey/exercise.en.ipynb>'
    """
    import re

    m = re.fullmatch(r"\s*(?:(.*?)\s*<([^<>]+)>|([^<>]+))\s*", text, flags=re.S)
    folder = (m.group(2) or m.group(3) or "").strip() if m else ""
    if not folder:
        raise ValueError(f"exercise-notebook: expected `title <NN_topic>` or `NN_topic`; got {text!r}.")
    title = m.group(1) or f"exercise.{language}.ipynb"
    return f"{title} </../exercises/{folder}/exercise.{language}.ipynb>"


def _exercise_notebook_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from docutils.parsers.rst import roles

    env = inliner.document.settings.env
    download, messages = roles.role("download", None, lineno, inliner.reporter)
    nodes_, more = download("download", rawtext, exercise_notebook_target(text, env.config.language),
                            lineno, inliner, options or {}, content or [])
    return nodes_, messages + more


def _page_context(app, pagename, templatename, context, doctree):
    other, href = language_switch(pagename, app.config.language)
    context["lang_switch_href"] = href
    context["lang_switch_code"] = other
    context["lang_switch_label"] = SWITCH_LABELS[app.config.language]


def defined_elsewhere(obj: object, name: str, current: str, documented: set[str]) -> bool:
    """Whether ``current`` only re-exports ``name``, which another documented module defines.

    The API reference then describes it once, where it is defined (Sphinx would otherwise warn
    about a duplicate description).

    Examples
    --------
    >>> from fidelia_kit.exceptions import DataError
    >>> defined_elsewhere(DataError, "DataError", "fidelia_kit.io", {"fidelia_kit.io", "fidelia_kit.exceptions"})
    True
    >>> defined_elsewhere(DataError, "DataError", "fidelia_kit.io", {"fidelia_kit.io"})
    False
    """
    import importlib

    home = getattr(obj, "__module__", None)
    if not isinstance(home, str) or home == current or home.startswith(current + "."):
        return False
    for module in documented - {current}:
        if home == module or home.startswith(module + "."):
            if name in getattr(importlib.import_module(module), "__all__", ()):
                return True
    return False


_API = {"current": "", "documented": set()}


def _track_module(app, what, name, obj, options, lines):
    if what == "module":
        _API["current"] = name


def _skip_reexport(app, what, name, obj, skip, options):
    if what == "module" and _API["current"] and defined_elsewhere(obj, name, _API["current"], _API["documented"]):
        return True
    return None


def _read_documented(app):
    import re

    api = Path(app.srcdir) / "api.md"
    text = api.read_text(encoding="utf-8") if api.is_file() else ""
    _API["documented"] = set(re.findall(r"^```\{automodule\}\s+(\S+)", text, flags=re.M))


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(source, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def _set_language(app, config):
    lang = config.language if config.language in LANGUAGES else "en"
    config.html_title = TITLES[lang]
    config.html_theme_options = dict(config.html_theme_options,
                                     search_bar_text="Buscar..." if lang == "es" else "Search...")


def setup(app):
    app.connect("config-inited", _set_language)
    app.add_role("exercise-notebook", _exercise_notebook_role)
    app.connect("source-read", _source_read)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _copy_mathjax)
    app.connect("builder-inited", _read_documented)
    app.connect("autodoc-process-docstring", _track_module)
    app.connect("autodoc-skip-member", _skip_reexport)
