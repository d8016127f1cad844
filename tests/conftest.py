import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers import REAL_REPORTS_DEFAULT, REAL_REPORTS_ENV, REPO, REQUIRE_REAL_REPORTS_ENV, real_reports_dir

sys.path.insert(0, str(REPO))  # in-process imports of xltools also come from this checkout

CHROMIUM = os.environ.get("XLTOOLS_CHROMIUM") or next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"real_reports: reads the real published reports (${REAL_REPORTS_ENV}, default "
        f"{REAL_REPORTS_DEFAULT}); given to every test that takes the real_reports fixture; "
        "-m 'not real_reports' runs the stand-alone tests")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "real_reports" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_reports)


@pytest.fixture(scope="session")
def real_reports() -> Path:
    """The real-reports folder (docs/development.md, "Tests"). Where it is missing the test is skipped, or fails
    when XLTOOLS_REQUIRE_REAL_REPORTS=1 (CI, which always has it)."""
    folder = real_reports_dir()
    if (folder / "expected").is_dir():
        return folder
    message = (f"real reports not found at {folder}: set {REAL_REPORTS_ENV} to the real-reports folder "
               f"(default {REAL_REPORTS_DEFAULT}, relative to the repository)")
    if os.environ.get(REQUIRE_REAL_REPORTS_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_REAL_REPORTS_ENV}=1 requires them", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _log_to_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Button handlers log into the test's folder, never into the home directory."""
    monkeypatch.setenv("XLTOOLS_LOG_DIR", str(tmp_path / "logs"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), driven by Playwright; no browser is downloaded."""
    assert CHROMIUM, "Chromium is required (apt-get install chromium); .ci/run installs it"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
