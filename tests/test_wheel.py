"""The distribution: its name and extras match what the code imports; the wheel ships the templates; the offline
route of docs/install.md works (a folder of wheels installs with --no-index into a fresh venv, first plain, then
with the export extra) and the command runs outside the source tree."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from helpers import EXAMPLE_XLSX, REPO

DISTRIBUTION = "xltools-zfxxgk"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# Which extra brings each optional library (imported only by the feature that needs it).
OPTIONAL = {"docx": "export", "lxml": "export", "pdfplumber": "import", "pdfminer": "import", "pypdfium2": "import",
            "xlwings": "excel",
            "django": "portal", "waitress": "portal", "whitenoise": "portal"}
BUILD_TIME = {"pyopenvba": "test"}  # rebuilding the macro template (python -m xltools.workbook.macro)
# What the plain install brings: every command but Word/PDF export, PDF import and the Excel buttons.
CORE = {"click", "defusedxml", "filelock", "jinja2", "openpyxl", "pebble", "python-calamine", "xlsxwriter"}


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement string."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]).lower()


def _extra(extra: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The distributions an extra brings, following its references to the project's own extras."""
    names: set[str] = set()
    for req in PYPROJECT["project"]["optional-dependencies"][extra]:
        if _name(req) == DISTRIBUTION:
            for inner in re.search(r"\[(.*)\]", req).group(1).split(","):  # type: ignore[union-attr]
                if inner.strip() not in seen:
                    names |= _extra(inner.strip(), seen | {extra})
        else:
            names.add(_name(req))
    return names


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "xltools").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("xltools", "__future__")}


def test_the_distribution_has_a_name_of_its_own() -> None:
    assert PYPROJECT["project"]["name"] == DISTRIBUTION
    assert PYPROJECT["project"]["scripts"] == {"xltools": "xltools.cli:main"}


def test_every_imported_library_is_declared_where_it_is_needed() -> None:
    by_module = importlib.metadata.packages_distributions()
    core = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    for module in sorted(_third_party_imports()):
        dists = {_name(d) for d in by_module.get(module, [])}
        assert dists, f"{module} is imported but not installed"
        extra = OPTIONAL.get(module) or BUILD_TIME.get(module)
        declared = _extra(extra) if extra else core
        assert dists & declared, f"{module} ({dists}) is imported but not declared in {extra or 'dependencies'}"
        if extra:
            assert not dists & core, f"{module} is optional ({extra}) but a core dependency"
    # the tests exercise every extra; dev (CI) brings the tests and the tools
    assert _extra("test") >= _extra("export") | _extra("import") | _extra("excel")
    assert _extra("dev") >= _extra("test") | {"mypy", "ruff", "build"}
    assert core == CORE


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    return next(dist.glob("xltools_zfxxgk-*.whl"))


@pytest.mark.slow
def test_wheel_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        info = next(n.split("/")[0] for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(f"{info}/METADATA").decode("utf-8"))
        entry_points = z.read(f"{info}/entry_points.txt").decode("utf-8")
        names = z.namelist()
    requires = meta.get_all("Requires-Dist") or []
    assert meta["Name"] == DISTRIBUTION and meta["Version"] == PYPROJECT["project"]["version"]
    assert "xltools = xltools.cli:main" in entry_points
    core = {_name(r) for r in requires if "extra ==" not in r}
    assert core == CORE
    assert set(meta.get_all("Provides-Extra") or []) >= {"export", "import", "excel", "all", "test", "dev"}
    excel = {r.split(";")[0].strip() for r in requires if "extra == 'excel'" in r}
    assert "xlwings==0.37.8" in excel and any(_name(r) == "python-docx" for r in excel)
    assert "xltools/workbook_templates/gov-disclosure-2021.xlsx" in names


def _outside_env() -> dict[str, str]:
    """The environment for the fresh venv: nothing of this checkout on PYTHONPATH."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _isolated_pip_env(home: Path) -> dict[str, str]:
    """No pip configuration, no index, no extra find-links: only what the command line names."""
    env = {k: v for k, v in _outside_env().items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", HOME=str(home))
    return env


@pytest.mark.slow
def test_offline_bundle_installs_and_runs_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    # IT, on a machine with internet: the wheel and every wheel it needs in one folder (docs/install.md)
    bundle = tmp_path / "离线安装包"
    bundle.mkdir()
    shutil.copy(wheel, bundle)
    download = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--find-links", str(bundle), "-d",
                               str(bundle), f"{DISTRIBUTION}[export]"], capture_output=True, text=True, timeout=300)
    assert download.returncode == 0, f"pip download needs the package registry:\n{download.stderr}"
    # a PC without internet: a fresh venv, no index at all
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip_env = _isolated_pip_env(tmp_path)

    def install(target: str) -> None:
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-index", "--find-links", str(bundle),
                               target], capture_output=True, text=True, env=pip_env, timeout=600)
        assert done.returncode == 0, done.stderr

    install(DISTRIBUTION)
    python = str(venv / "bin" / "python")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _outside_env()

    def py(code: str) -> str:
        return subprocess.run([python, "-c", code], cwd=work, capture_output=True, text=True, check=True,
                              env=env).stdout.strip()

    assert py("import importlib.metadata as m; print(m.metadata('xltools-zfxxgk')['Name'])") == DISTRIBUTION
    assert py("import importlib.util as u; print([m for m in ('docx', 'lxml', 'pdfplumber', 'xlwings') "
              "if u.find_spec(m)])") == "[]"  # a plain install pulls no optional library
    exe = str(venv / "bin" / "xltools")
    made = subprocess.run([exe, "new", "-o", "blank.xlsx"], cwd=work, capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    shipped = py("from xltools.workbook.shipped import template_path; print(template_path())")
    assert "site-packages" in shipped
    assert Path(shipped).read_bytes() == (work / "blank.xlsx").read_bytes()
    checked = subprocess.run([exe, "check", str(EXAMPLE_XLSX)], cwd=work, capture_output=True, text=True, env=env)
    assert checked.returncode == 1 and "S6_FEE_STATEMENT" in checked.stdout
    # the web page needs no extra (its template is package data); Word says which extra it needs
    html = subprocess.run([exe, "export", str(EXAMPLE_XLSX), "--force", "-o", "r.html"], cwd=work,
                          capture_output=True, text=True, env=env)
    assert html.returncode == 1 and (work / "r.html").stat().st_size > 10_000, html.stderr
    refused = subprocess.run([exe, "export", str(EXAMPLE_XLSX), "--force", "-o", "r.docx"], cwd=work,
                             capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and not (work / "r.docx").exists()
    assert f'pip install "{DISTRIBUTION}[export]"' in refused.stderr and "Traceback" not in refused.stderr
    # the documentation ships too: every page the help texts name can be read without the repository
    pages = subprocess.run([exe, "docs", "limits", "--path"], cwd=work, capture_output=True, text=True, env=env)
    assert pages.returncode == 0 and "site-packages" in pages.stdout, pages.stderr
    limits_page = subprocess.run([exe, "docs", "limits"], cwd=work, capture_output=True, text=True, env=env)
    assert limits_page.stdout == (REPO / "docs" / "limits.md").read_text(encoding="utf-8") + "\n"
    # the macro template ships too, and new --macro works without xlwings or pyOpenVBA installed
    macro = subprocess.run([exe, "new", "--macro", "-o", "blank.xlsm"], cwd=work, capture_output=True, text=True,
                           env=env)
    assert macro.returncode == 0, macro.stderr
    assert (work / "blank.xlsm").read_bytes() == (REPO / "workbook_templates" / "gov-disclosure-2021.xlsm").read_bytes()
    filled = subprocess.run([exe, "fill", "blank.xlsm"], cwd=work, capture_output=True, text=True, env=env)
    assert filled.returncode == 1 and (work / "blank-已填合计.xlsm").is_file(), filled.stderr

    install(f"{DISTRIBUTION}[export]")  # the same folder, with the extra
    exported = subprocess.run([exe, "export", str(EXAMPLE_XLSX), "--force", "-o", "r.docx"], cwd=work,
                              capture_output=True, text=True, env=env)
    assert exported.returncode == 1 and (work / "r.docx").stat().st_size > 10_000, exported.stderr
    assert py("from xltools.publish.pdf import FONTS_CONF; print(FONTS_CONF.is_file())") == "True"
