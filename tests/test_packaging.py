"""The project's own files agree with each other: dependencies, docs, public API."""
from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
import tomllib

import yaml

import fidelia_kit
from fidelia_kit.features import FEATURES, features_dictionary
from fidelia_kit.schema import TABLES, data_dictionary

from .conftest import ROOT


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


CONDA_NAMES = {"duckdb": "python-duckdb"}  # the same package, named differently on conda-forge


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # the conda route installs what `pip install -e .` does plus the `course` extra, so `make course` works there too
    wanted = project["dependencies"] + project["optional-dependencies"]["course"]
    pip_deps = {CONDA_NAMES.get(k, k): v for k, v in (_split(r) for r in wanted)}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip_section = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
            continue
        name, spec = _split(dep)
        if name not in ("python", "pip"):
            conda[name] = spec
    assert conda == pip_deps
    assert "conda-forge" in env["channels"]
    assert pip_section == ["-e ."]
    python = [d for d in env["dependencies"] if isinstance(d, str) and _split(d)[0] == "python"]
    assert python == ["python" + project["requires-python"]]


def test_every_conda_dependency_says_what_needs_it():
    text = (ROOT / "environment.yml").read_text().split("dependencies:")[1]
    lines = [ln for ln in text.splitlines()
             if re.match(r"^\s+- [a-z]", ln) and "python" not in ln and ln.strip() not in ("- pip", "- pip:")]
    assert lines and all("#" in ln for ln in lines), [ln for ln in lines if "#" not in ln]


def test_console_script_and_test_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["fidelia"] == "fidelia_kit.__main__:main"
    assert {"pytest", "hypothesis"} <= {_split(r)[0] for r in project["optional-dependencies"]["test"]}


def test_readme_quickstart_and_ci_use_the_make_targets():
    readme = (ROOT / "README.md").read_text()
    for needle in ("make run", "make test", "conda env create -f environment.yml"):
        assert needle in readme, needle
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_data_dictionary_is_current_and_documents_every_column():
    text = (ROOT / "datasets" / "README.md").read_text()
    embedded = text.split("<!-- dictionary:start -->\n")[1].split("<!-- dictionary:end -->")[0]
    assert embedded == data_dictionary()
    for table, columns in TABLES.items():
        section = embedded.split(f"### {table}.csv")[1].split("### ")[0]
        for col in columns:
            assert f"| `{col.name}` |" in section, (table, col.name)


def test_derived_columns_section_is_current_and_documents_every_feature():
    text = (ROOT / "datasets" / "README.md").read_text()
    assert "## Derived columns" in text
    embedded = text.split("<!-- features:start -->\n")[1].split("<!-- features:end -->")[0]
    assert embedded == features_dictionary()
    for name in FEATURES:
        assert f"| `{name}` |" in embedded, name


def test_readme_module_table_lists_every_public_module():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Layout")[1].split("\n## ")[0]
    for info in pkgutil.iter_modules(fidelia_kit.__path__):
        if info.name.startswith("_"):
            continue
        entry = f"`{info.name}/`" if info.ispkg else f"`{info.name}.py`"
        assert f"| {entry} |" in table, entry
        if info.ispkg:  # a sub-package's row names each of its modules
            row = next(line for line in table.splitlines() if line.startswith(f"| {entry} |"))
            package = importlib.import_module(f"fidelia_kit.{info.name}")
            for sub in pkgutil.iter_modules(package.__path__):
                if not sub.name.startswith("_"):
                    assert f"`{sub.name}`" in row, f"{entry} {sub.name}"


def test_every_module_declares_all_and_exports_exist():
    for info in pkgutil.walk_packages(fidelia_kit.__path__, "fidelia_kit."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        assert hasattr(module, "__all__"), info.name
        for name in module.__all__:
            assert hasattr(module, name), (info.name, name)
    assert fidelia_kit.__version__


HEAVY = ("statsmodels", "sklearn", "seaborn", "matplotlib", "duckdb", "papermill", "nbconvert", "scipy", "pandas")
FITTING = ("statsmodels", "sklearn", "seaborn", "matplotlib", "duckdb", "papermill", "nbconvert")


def _imported_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter holds after running ``code``."""
    probe = code + "\nimport sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return set(res.stdout.split())


def test_importing_the_package_imports_no_heavy_dependency():
    imported = _imported_after("import fidelia_kit")
    assert "fidelia_kit" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_public_names_import_their_module_on_first_use_and_no_more():
    code = """
import fidelia_kit as fk
from fidelia_kit import retention, load_world
for name in fk.__all__:
    getattr(fk, name)
assert fk.clv.BetaGeoModel.__name__ == "BetaGeoModel" and fk.load_world is load_world
assert fk.runner.check_parameters and fk.schema.TABLES and "load_world" in dir(fk)
try:
    fk.no_such_name
except AttributeError as exc:
    assert "no_such_name" in str(exc)
else:
    raise SystemExit("fk.no_such_name did not raise AttributeError")
"""
    imported = _imported_after(code)
    assert {"pandas", "scipy"} <= imported  # the analysis modules were really imported
    assert not imported & set(FITTING), sorted(imported & set(FITTING))  # those load inside the functions


def test_the_command_line_starts_without_pandas():
    imported = _imported_after("import fidelia_kit.cli, fidelia_kit.schema\nfidelia_kit.cli._build_parser()")
    assert "fidelia_kit" in imported and "pandas" not in imported


def test_the_executor_and_the_notebook_api_import_without_pandas():
    imported = _imported_after("import fidelia_kit.runner, fidelia_kit.notebook, fidelia_kit.cli")
    assert not imported & {"pandas", "numpy", "papermill"}, sorted(imported & {"pandas", "numpy", "papermill"})


def test_models_are_fitted_without_importing_all_of_statsmodels():
    import statsmodels.api

    from fidelia_kit import _sm

    for name in _sm.__all__:
        assert getattr(_sm, name) is getattr(statsmodels.api, name), name  # the same classes, the same results
    code = """
import numpy as np, pandas as pd
from fidelia_kit import generate_world, retention, survey
w = generate_world(n_customers=600, seed=5)
e = w.retention_experiment
retention.adjusted_effect(e, arm_col="arm", outcome_col="revenue_90d", covariates=["monetary_90d", "monetary_365d"])
retention.service_recovery(w.complaints)
survey.satisfaction_to_loyalty(w.survey_responses, w.transactions, horizon_days=180)
rng = np.random.default_rng(1)
d = pd.DataFrame({"t": rng.exponential(2, 200), "e": rng.integers(0, 2, 200), "x": rng.normal(size=200)})
retention.cox(d, duration_col="t", event_col="e", covariates=["x"])
"""
    imported = _imported_after(code + "import sys; assert 'statsmodels' in sys.modules and 'statsmodels.api' not in sys.modules")
    assert "statsmodels" in imported


def test_loading_a_world_does_not_import_tqdm_auto():
    # tqdm.auto warns (TqdmWarning: IProgress not found) in every notebook kernel without ipywidgets;
    # a notebook that only loads a world must not import it.
    code = ("import sys, fidelia_kit as fk\nfk.load_world('datasets', cache=False)\n"
            "print('tqdm.auto' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.stdout.split() == ["False"], res.stderr
