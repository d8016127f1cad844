"""The offline install bundle (scripts/build_bundle.py, scripts/bundle/) and the per-PC set-up it runs
(xltools.workbook.pc_setup): the Windows bundle is complete and consistent for every Python it names, its scripts
are in the encodings Windows reads, and the Linux twin installs from a bundle with the network off and leaves an
xlwings config that xlwings' own reader (``xlwings.utils.read_user_config``) reads back.

Building needs the package index: where it cannot be reached the bundle tests are skipped, except under CI (the
environment variable CI set), where they fail."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import ntpath
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from types import ModuleType

import pytest
from helpers import REPO, xltools_env
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from xltools.workbook import pc_setup

BUILD = REPO / "scripts" / "build_bundle.py"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
XLWINGS = next(r.split("==")[1] for r in PYPROJECT["project"]["optional-dependencies"]["excel"]
               if r.startswith("xlwings=="))
CLOSED_INDEX = "http://127.0.0.1:9/simple"  # the discard port: nothing listens, a connection is refused at once
WINDOWS_ENV = {"implementation_name": "cpython", "os_name": "nt", "platform_machine": "AMD64",
               "platform_python_implementation": "CPython", "platform_system": "Windows", "sys_platform": "win32"}
# What every script says, in the same words (安装.bat, 安装.ps1, install.sh)
SHARED_MESSAGES = ("xltools 离线安装（版本", "正在查找 Python…", "使用 Python：", "正在创建 Python 环境：",
                   "和 Excel 按钮所需的组件（不联网）…", "没有找到可用的 Python：需要 64 位的 Python（版本",
                   "装好后重新运行本安装程序。", "安装失败：", "详细记录在：", "安装组件时出错",
                   "安装包不完整（缺少 versions.txt 或 wheels）：请先把整个压缩包解压")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_bundle", BUILD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _offline_pip_env(home: Path) -> dict[str, str]:
    """No pip configuration of this machine (its find-links), an index that refuses, nothing of this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "PYTHONPATH"}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=CLOSED_INDEX, PIP_DISABLE_PIP_VERSION_CHECK="1",
               HOME=str(home))
    return env


def _build(out: Path, *args: str | Path) -> Path:
    done = subprocess.run([sys.executable, str(BUILD), "--out", str(out), *map(str, args)], capture_output=True,
                          text=True, timeout=600)
    if done.returncode == 2 and "无法连接软件包索引" in done.stderr:
        reason = f"the package index cannot be reached, so the bundle cannot be built: {done.stderr.splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已生成" in done.stdout and "下载 Python" in done.stdout
    return Path(re.findall(r"^已生成 (.+?)（", done.stdout, re.M)[0])


@dataclass(frozen=True)
class Bundle:
    folder: Path
    manifest: dict[str, object]

    @property
    def pythons(self) -> list[str]:
        versions = self.manifest["python_versions"]
        assert isinstance(versions, list)
        return [str(v) for v in versions]


@pytest.fixture(scope="module")
def linux_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """The bundle for this interpreter, with the wheel built from this checkout by the script itself."""
    folder = _build(tmp_path_factory.mktemp("current"), "--platform", "current")
    return Bundle(folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def windows_bundle(tmp_path_factory: pytest.TempPathFactory, linux_bundle: Bundle) -> Bundle:
    wheel = next((linux_bundle.folder / "wheels").glob("xltools_zfxxgk-*.whl"))
    folder = _build(tmp_path_factory.mktemp("windows"), "--wheel", wheel)
    return Bundle(folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8")))


@pytest.mark.slow
def test_the_manifest_the_folder_and_the_zip_agree(windows_bundle: Bundle) -> None:
    folder, manifest = windows_bundle.folder, windows_bundle.manifest
    assert folder.name == f"xltools-离线安装包-{VERSION}"
    assert manifest["xltools_version"] == VERSION and manifest["xlwings_version"] == XLWINGS
    assert manifest["platform"] == "win_amd64" and manifest["requirement"] == f"xltools-zfxxgk[excel]=={VERSION}"
    # every Python the script supports, from requires-python's 3.11 on, with no gap
    assert windows_bundle.pythons == list(_script().PYTHONS)
    assert windows_bundle.pythons[0] == PYPROJECT["project"]["requires-python"].removeprefix(">=")
    minors = [int(v.split(".")[1]) for v in windows_bundle.pythons]
    assert minors == list(range(minors[0], minors[0] + len(minors)))
    entries = manifest["wheels"]
    assert isinstance(entries, list)
    on_disk = {p.name: p for p in (folder / "wheels").iterdir()}
    assert sorted(on_disk) == sorted(e["file"] for e in entries)
    for entry in entries:
        data = on_disk[entry["file"]].read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"]), entry["file"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["wheels", "manifest.json", "versions.txt", "安装.bat", "安装.ps1", "install.sh", "说明.txt"])
    versions = dict(line.split("=", 1) for line in (folder / "versions.txt").read_text("ascii").splitlines())
    assert versions["XLTOOLS_VERSION"] == VERSION and versions["PLATFORM"] == "win_amd64"
    assert versions["PYTHON_VERSIONS"].split() == windows_bundle.pythons[::-1]  # newest first: the preference
    assert versions["RECOMMENDED_PYTHON"] == manifest["recommended_python"] in windows_bundle.pythons
    # the zip holds exactly the folder, byte for byte, under the folder's name
    with zipfile.ZipFile(folder.with_name(folder.name + ".zip")) as z:
        files = {n: z.read(n) for n in z.namelist()}
        assert z.getinfo(f"{folder.name}/install.sh").external_attr >> 16 == 0o755
        assert all(i.flag_bits & 0x800 for i in z.infolist())  # names in UTF-8, flagged so (Explorer, 7-Zip)
    assert files == {f"{folder.name}/{p.relative_to(folder).as_posix()}": p.read_bytes()
                     for p in folder.rglob("*") if p.is_file()}


def _tags(python: str) -> set[Tag]:
    """The tags 64-bit CPython ``python`` on Windows installs."""
    version = tuple(map(int, python.split(".")))
    interpreter = f"cp{version[0]}{version[1]}"
    return {*cpython_tags(version, platforms=["win_amd64"]),
            *compatible_tags(version, interpreter=interpreter, platforms=["win_amd64"])}


def _requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return [Requirement(r) for r in HeaderParser().parsestr(z.read(meta).decode()).get_all("Requires-Dist") or []]


@pytest.mark.slow
def test_every_wheel_fits_windows_and_each_python_it_is_listed_for(windows_bundle: Bundle) -> None:
    entries = windows_bundle.manifest["wheels"]
    assert isinstance(entries, list)
    names: dict[str, set[str]] = {v: set() for v in windows_bundle.pythons}
    for entry in entries:
        name, _, _, tags = parse_wheel_filename(entry["file"])
        for python in entry["pythons"]:
            assert tags & _tags(python), f"{entry['file']} does not install on Python {python} win_amd64"
            assert canonicalize_name(name) not in names[python], f"two wheels of {name} for {python}"
            names[python].add(canonicalize_name(name))
    # each Python gets the same distributions, among them the Windows-only pywin32 that xlwings needs
    assert len({frozenset(n) for n in names.values()}) == 1
    assert {"xltools-zfxxgk", "xlwings", "pywin32", "python-docx", "lxml"} <= names["3.11"]


@pytest.mark.slow
def test_each_python_resolves_offline_from_the_bundle_alone(windows_bundle: Bundle, tmp_path: Path) -> None:
    wheels = windows_bundle.folder / "wheels"
    env = _offline_pip_env(tmp_path)
    # pip's own resolver, with no index: one run per Python, side by side
    runs = {python: subprocess.Popen(
        [sys.executable, "-m", "pip", "download", "-q", "--no-index", "--find-links", str(wheels), "--platform",
         "win_amd64", "--python-version", python, "--implementation", "cp", "--only-binary=:all:",
         "-d", str(tmp_path / python), f"xltools-zfxxgk[excel]=={VERSION}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) for python in windows_bundle.pythons}
    for python, run in runs.items():
        output = run.communicate(timeout=300)[0]
        assert run.returncode == 0, f"Python {python}: {output}"
        assert any(p.name.startswith("xlwings-") for p in (tmp_path / python).iterdir())
    # pip judges markers by this Linux machine: walk them as Windows sees them, for each Python
    by_name: dict[str, list[Path]] = {}
    for p in wheels.iterdir():
        by_name.setdefault(canonicalize_name(parse_wheel_filename(p.name)[0]), []).append(p)
    for python in windows_bundle.pythons:
        env_markers = {**WINDOWS_ENV, "python_version": python, "python_full_version": f"{python}.0",
                       "implementation_version": f"{python}.0", "platform_release": "10", "platform_version": "10"}
        todo = [Requirement(f"xltools-zfxxgk[excel]=={VERSION}")]
        seen: set[tuple[str, str]] = set()
        while todo:
            req = todo.pop()
            name = canonicalize_name(req.name)
            fits = [p for p in by_name.get(name, []) if parse_wheel_filename(p.name)[3] & _tags(python)
                    and req.specifier.contains(parse_wheel_filename(p.name)[1], prereleases=True)]
            assert len(fits) == 1, f"Python {python}: {req} has {len(fits)} wheels in the bundle"
            for extra in {"", *req.extras} - {e for n, e in seen if n == name}:
                seen.add((name, extra))
                todo += [d for d in _requires(fits[0])
                         if not d.marker or d.marker.evaluate({**env_markers, "extra": extra})]
        assert ("pywin32", "") in seen, f"Python {python}: xlwings' pywin32 was not reached"


def _labels_and_jumps(bat: str) -> tuple[set[str], set[str]]:
    labels = {m.lower() for m in re.findall(r"^:(\w+)", bat, re.M)}
    jumps = {m.lower() for m in re.findall(r"\b(?:goto|call) :?(\w+)", bat, re.I)} - {"eof"}
    return labels, jumps


@pytest.mark.slow
def test_the_windows_scripts_are_in_the_encodings_windows_reads(windows_bundle: Bundle) -> None:
    folder = windows_bundle.folder
    raw = (folder / "安装.bat").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "cmd would read a BOM as part of the first command"
    assert b"\n" not in raw.replace(b"\r\n", b""), "cmd needs CRLF line ends"
    head, _, _ = raw.partition(b"chcp 936 >nul\r\n")
    assert head == b"@echo off\r\n", "nothing but ASCII before the code page is set"
    bat = raw.decode("gb2312")  # strict: every Chinese character two bytes >= 0xA1, none looks like \ | ^ to cmd
    assert bat.replace("\r\n", "\n") == (REPO / "scripts" / "bundle" / "安装.bat").read_text(encoding="utf-8")
    for step in ("--no-index", '--find-links "%HERE%wheels"', r'set "XLT_HOME=%LOCALAPPDATA%\xltools"',
                 r'set "VENV=%XLT_HOME%\venv"', "-m venv", "--upgrade", "xltools-zfxxgk[excel]==%XLTOOLS_VERSION%",
                 "-m xltools.workbook.pc_setup", "call :check py -%%v", r"\WindowsApps\=", "where python",
                 r"%LOCALAPPDATA%\Programs\Python\Python%VV%\python.exe", r"%ProgramFiles%\Python%VV%\python.exe",
                 r"%LOCALAPPDATA%\Python\pythoncore-%~1-64\python.exe", "PYTHON_MANAGER_AUTOMATIC_INSTALL=false",
                 "python-%RECOMMENDED_PYTHON%.x-amd64.exe /quiet InstallAllUsers=1 PrependPath=1", '"/quiet"',
                 "if not defined QUIET pause", "exit /b %RC%", "详细记录在：%LOG%"):
        assert step in bat, step
    labels, jumps = _labels_and_jumps(bat)
    assert jumps <= labels, f"goto/call without a label: {jumps - labels}"
    assert "enabledelayedexpansion" not in bat.lower()

    raw = (folder / "安装.ps1").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "PowerShell 5.1 reads a .ps1 without BOM in the ANSI code page"
    ps1 = raw[3:].decode("utf-8")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for step in ("--no-index", "--find-links $Wheels", "Join-Path $env:LOCALAPPDATA 'xltools'",
                 "Join-Path $Prefix 'venv'", "-m venv", "--upgrade", '"xltools-zfxxgk[excel]==$Version"',
                 "-m xltools.workbook.pc_setup", "[switch]$Quiet", "Test-Python 'py'", "'*\\WindowsApps\\*'",
                 "python-$Recommended.x-amd64.exe /quiet InstallAllUsers=1 PrependPath=1", "Finish 2"):
        assert step in ps1, step
    assert ps1.count("{") == ps1.count("}") and ps1.count("(") == ps1.count(")")

    readme = (folder / "说明.txt").read_bytes()
    assert readme.startswith(b"\xef\xbb\xbf") and "安装.bat /quiet" in readme[3:].decode("utf-8")
    recommended = windows_bundle.manifest["recommended_python"]
    assert f"python-{recommended}.x-amd64.exe /quiet InstallAllUsers=1" in readme[3:].decode("utf-8")
    sh = (folder / "install.sh").read_bytes().decode("utf-8")
    assert "\r" not in sh and sh.startswith("#!/bin/sh\n")
    for message in SHARED_MESSAGES:
        assert message in bat and message in ps1 and message in sh, message
    # the same Python check in all three, so they accept the same interpreters
    check = re.search(r'-c "(import sys,venv,ensurepip;[^"]+)"', bat)
    assert check and check.group(1) in ps1 and check.group(1) in sh


def _run_twin(bundle: Path, home: Path, prefix: Path, path: str) -> subprocess.CompletedProcess[str]:
    """install.sh as IT runs it, with the network off: a new network namespace where ``unshare -n`` works, and in
    any case pip's index a port that refuses."""
    command = ["sh", str(bundle / "install.sh"), "--quiet", "--prefix", str(prefix)]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        command = ["unshare", "-n", *command]
    env = _offline_pip_env(home)
    env["PATH"] = path
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_the_linux_twin_installs_offline_and_xlwings_reads_its_config(linux_bundle: Bundle, tmp_path: Path) -> None:
    home, prefix = tmp_path / "home", tmp_path / "xltools"
    (home / ".xlwings").mkdir(parents=True)
    (home / ".xlwings" / "xlwings.conf").write_text('"PYTHONPATH","/srv/reports"\n"interpreter","/old/python"\n',
                                                    encoding="utf-8")
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    first = _run_twin(linux_bundle.folder, home, prefix, path)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.strip().splitlines()
    assert lines[-1] == f"安装成功，版本 {VERSION}（xlwings {XLWINGS}）"
    assert f"正在创建 Python 环境：{prefix / 'venv'}" in lines
    venv = prefix / "venv"
    version = subprocess.run([str(venv / "bin" / "xltools"), "--version"], capture_output=True, text=True,
                             env=_offline_pip_env(home), cwd=tmp_path)
    assert version.returncode == 0 and VERSION in version.stdout, version.stderr
    # xlwings' own reader, in the installed venv, under the same home
    read = subprocess.run([str(venv / "bin" / "python"), "-c", "import json, xlwings, xlwings.utils as u; "
                           "print(json.dumps([xlwings.USER_CONFIG_FILE, u.read_user_config()]))"],
                          capture_output=True, text=True, env=_offline_pip_env(home), cwd=tmp_path)
    conf_file, config = json.loads(read.stdout)
    assert Path(conf_file) == home / ".xlwings" / "xlwings.conf"
    assert config == {"pythonpath": "/srv/reports", "interpreter": str(venv / "bin" / "python")}
    assert "Successfully installed" in (prefix / "logs" / "install.log").read_text(encoding="utf-8")
    # run again (an upgrade with the same bundle): the venv is kept and the check passes again
    again = _run_twin(linux_bundle.folder, home, prefix, path)
    assert again.returncode == 0 and "正在创建 Python 环境" not in again.stdout, again.stdout + again.stderr
    assert again.stdout.strip().splitlines()[-1] == lines[-1]


@pytest.mark.slow
def test_the_linux_twin_says_which_python_is_missing(linux_bundle: Bundle, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(linux_bundle.folder, bundle, ignore=shutil.ignore_patterns("*.whl"))
    text = (bundle / "versions.txt").read_text("ascii")
    (bundle / "versions.txt").write_text(re.sub(r"PYTHON_VERSIONS=.*", "PYTHON_VERSIONS=3.98 3.99", text), "ascii")
    done = _run_twin(bundle, tmp_path / "home", tmp_path / "xltools", os.pathsep.join(["/usr/bin", "/bin"]))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "没有找到可用的 Python：需要 64 位的 Python（版本 3.98 3.99 之一）" in done.stdout
    assert not (tmp_path / "xltools" / "venv").exists()


@pytest.mark.slow
def test_the_build_says_when_the_index_cannot_be_reached(linux_bundle: Bundle, tmp_path: Path) -> None:
    wheel = next((linux_bundle.folder / "wheels").glob("xltools_zfxxgk-*.whl"))
    env = _offline_pip_env(tmp_path)
    env.update(PIP_RETRIES="0", PIP_TIMEOUT="3")
    done = subprocess.run([sys.executable, str(BUILD), "--out", str(tmp_path / "out"), "--wheel", str(wheel),
                           "--python", "3.12"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "无法连接软件包索引" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # nothing half-built left behind
    old = subprocess.run([sys.executable, str(BUILD), "--python", "3.10"], capture_output=True, text=True, env=env)
    assert old.returncode == 2 and "不支持的 Python 版本：3.10" in old.stderr


# --- the per-PC set-up, on its own ---------------------------------------------------------------------------------

def test_pc_setup_chooses_what_xlwings_reads_on_each_platform(tmp_path: Path) -> None:
    env = {"USERPROFILE": r"C:\Users\li", "HOME": "/home/li"}
    assert pc_setup.conf_path("win32", env) == Path(r"C:\Users\li") / ".xlwings" / "xlwings.conf"
    assert pc_setup.conf_path("darwin", env) == Path(
        "/home/li/Library/Containers/com.microsoft.Excel/Data/xlwings.conf")
    assert pc_setup.conf_path("linux", env) == Path("/home/li/.xlwings/xlwings.conf")
    assert [pc_setup.interpreter_key(p) for p in ("win32", "darwin", "linux")] == [
        "INTERPRETER_WIN", "INTERPRETER_MAC", "INTERPRETER"]
    # the keys are the ones xlwings.bas asks for, on Windows and on the Mac
    bas = (Path(importlib.util.find_spec("xlwings").origin).parent / "xlwings.bas").read_text(  # type: ignore
        encoding="utf-8")
    assert 'GetConfig("INTERPRETER_WIN"' in bas and 'GetConfig("INTERPRETER_MAC"' in bas
    assert 'GetConfig("INTERPRETER",' in bas  # the platform-neutral fallback written on Linux
    assert r'Environ("USERPROFILE") & "\." & PROJECT_NAME & "\" & PROJECT_NAME & ".conf"' in bas
    scripts = tmp_path / "Scripts"
    scripts.mkdir()
    (scripts / "python.exe").write_bytes(b"")
    assert pc_setup.default_interpreter("win32", str(scripts / "python.exe")) == scripts / "python.exe"
    (scripts / "pythonw.exe").write_bytes(b"")  # the venv's windowless twin: no console window behind Excel
    assert pc_setup.default_interpreter("win32", str(scripts / "python.exe")) == scripts / "pythonw.exe"
    assert pc_setup.default_interpreter("linux", str(scripts / "python.exe")) == scripts / "python.exe"


def test_pc_setup_writes_the_windows_file_xlwings_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("locale.getpreferredencoding", lambda do_setlocale=True: "cp936")  # a Chinese Windows
    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    conf.write_bytes('"LICENSE_KEY","noncommercial"\r\n\r\n"Interpreter_Win","C:\\旧\\python.exe"\r\n'
                     .encode("cp936"))
    interpreter = r"C:\Users\张三\AppData\Local\xltools\venv\Scripts\pythonw.exe"
    pc_setup.write_conf(conf, "INTERPRETER_WIN", pc_setup.conf_value(Path(interpreter), "win32"), "win32")
    assert conf.read_bytes() == ('"LICENSE_KEY","noncommercial"\r\n'
                                 f'"INTERPRETER_WIN","{interpreter}"\r\n').encode("cp936")
    # xlwings' reader, as it runs on that PC: open() in the ANSI code page
    import xlwings
    import xlwings.utils
    real_open = open
    with monkeypatch.context() as patched:
        patched.setattr(xlwings, "USER_CONFIG_FILE", str(conf))
        patched.setattr("builtins.open", lambda f, mode="r", **kw: real_open(f, mode, encoding="cp936", **kw))
        config = xlwings.utils.read_user_config()  # type: ignore[no-untyped-call]
    assert config == {"license_key": "noncommercial", "interpreter_win": interpreter}


def test_pc_setup_keeps_a_path_the_code_page_cannot_hold_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("locale.getpreferredencoding", lambda do_setlocale=True: "cp936")
    local = r"C:\Users\김민수\AppData\Local"  # Hangul: not in cp936
    interpreter = Path(local + r"\xltools\venv\Scripts\pythonw.exe")
    value = pc_setup.conf_value(interpreter, "win32", {"LOCALAPPDATA": local, "USERPROFILE": r"C:\Users\김민수"})
    assert value == r"%LOCALAPPDATA%\xltools\venv\Scripts\pythonw.exe"
    monkeypatch.setenv("LOCALAPPDATA", local)
    assert ntpath.expandvars(value) == str(interpreter)  # what xlwings' reader does with it on Windows
    with pytest.raises(pc_setup.SetupFailed, match="/prefix"):
        pc_setup.conf_value(Path(r"D:\김\pythonw.exe"), "win32", {"LOCALAPPDATA": local})


def test_pc_setup_command(tmp_path: Path) -> None:
    conf = tmp_path / "conf" / "xlwings.conf"
    command = [sys.executable, "-m", "xltools.workbook.pc_setup", "--conf", str(conf)]
    done = subprocess.run([*command, "--interpreter", sys.executable], capture_output=True, text=True,
                          env=xltools_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"安装成功，版本 {VERSION}（xlwings {XLWINGS}）"
    key = pc_setup.interpreter_key()
    assert conf.read_text(encoding="utf-8") == f'"{key}","{Path(sys.executable).absolute()}"\n'
    missing = subprocess.run([*command, "--interpreter", str(tmp_path / "nope")], capture_output=True, text=True,
                             env=xltools_env())
    assert missing.returncode == 1 and missing.stderr.startswith("安装未完成：找不到 Python")
    (tmp_path / "file").write_text("x")
    blocked = subprocess.run([sys.executable, "-m", "xltools.workbook.pc_setup", "--conf",
                              str(tmp_path / "file" / "xlwings.conf"), "--interpreter", sys.executable],
                             capture_output=True, text=True, env=xltools_env())
    assert blocked.returncode == 1 and "安装未完成：无法写入 xlwings 设置文件" in blocked.stderr, blocked.stderr
    assert "Traceback" not in blocked.stderr
