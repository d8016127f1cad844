"""Build the offline install bundle for the clerks' Windows PCs (docs/install.md, docs/excel-setup.md): our wheel,
every wheel ``xltools-zfxxgk[excel]`` needs on 64-bit Windows for each supported Python, the install scripts and a
manifest, as a folder ``xltools-离线安装包-<version>/`` and a .zip of it. Run it on any machine with the package index
(Linux, macOS or Windows), with the dev extra installed (it needs ``packaging``, which ``build`` brings):

    python scripts/build_bundle.py [--out DIR] [--python 3.11 3.12 ...] [--platform win_amd64|current]
                                   [--wheel PATH] [--overwrite]

``--platform current`` builds the same bundle for the running interpreter's own platform and version (the Linux
test installs it with ``install.sh``). Exit codes: 0 built; 1 the bundle cannot be built (a Python version without
wheels for every dependency, a script that cannot be encoded, the output exists); 2 the package index cannot be
reached (or a bad option).

pip evaluates environment markers (``platform_system == "Windows"``, ``python_version < …``) for the machine it
runs on, not for the target, so it leaves out Windows-only dependencies such as xlwings' pywin32. Each Python's
download is therefore checked by walking every wheel's ``Requires-Dist`` with the target's markers; what is missing
is added to the requirements and resolved again, until the set is complete. Only the wheels that walk reaches go
into the bundle.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.parser import HeaderParser
from pathlib import Path

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename
except ImportError:  # pragma: no cover - the dev extra brings it
    sys.exit("需要 Python 组件 packaging：pip install packaging（或 pip install -e '.[dev]'）")

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "scripts" / "bundle"
DISTRIBUTION = "xltools-zfxxgk"
EXTRA = "excel"
WINDOWS = "win_amd64"
# Every Python 3.x for which all of xltools-zfxxgk[excel]'s dependencies (and xlwings', pywin32 included) have
# win_amd64 wheels on PyPI: 3.11 to 3.15, checked 2026-11 (3.16 has no lxml wheel yet). requires-python is >=3.11.
PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.15")
# The python.org installer the scripts tell IT to deploy when a PC has no suitable Python: a current bug-fix
# release that python.org still ships as the classic python-3.X.Y-amd64.exe with its silent-install options.
RECOMMENDED_PYTHON = "3.14"
# How each shipped script is written. The .bat is GB2312 (read as cp936/GBK, the code page of a Chinese Windows;
# no BOM, which cmd would take for part of the first command) and every Chinese character of GB2312 is two bytes
# >= 0xA1, so no byte of it can look like \ | ^ to cmd.exe. PowerShell 5.1 reads a .ps1 without BOM in the ANSI
# code page, so it gets UTF-8 with BOM; so does 说明.txt, for every Notepad. cmd needs CRLF; the shell needs LF.
SHIPPED = {
    "安装.bat": ("gb2312", "\r\n", False),
    "安装.ps1": ("utf-8", "\r\n", True),
    "说明.txt": ("utf-8", "\r\n", True),
    "install.sh": ("utf-8", "\n", False),
}
EXECUTABLE = ("install.sh",)
# What pip says when it cannot reach an index (its connection errors, some only at -vv).
NETWORK = re.compile(r"connection error|NewConnectionError|Failed to establish a new connection|Max retries exceeded|"
                     r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
                     r"Connection refused|timed out|ProxyError|SSLError", re.I)
MISSING = re.compile(r"No matching distribution found for (\S+)")


class BuildFailed(Exception):
    """The bundle cannot be built; the message (Chinese) says why. ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def say(line: str) -> None:
    print(line, flush=True)


def pip(args: Sequence[str], what: str, target: Sequence[str] = ()) -> None:
    """Run pip; BuildFailed with the end of its output, exit code 2 when the index cannot be reached. pip reports
    an unreachable index like a missing wheel ("from versions: none"; the connection error only at -vv), so a
    missing requirement is asked for once more, alone and verbosely, to tell the two apart."""
    done = _pip(args)
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    tail = "\n".join(line for line in output.splitlines() if "is ignored: it is neither" not in line)[-1500:]
    if not NETWORK.search(output) and (missing := MISSING.search(output)):
        with tempfile.TemporaryDirectory() as probe:
            again = _pip(["download", "-vv", "--no-deps", "--only-binary=:all:", *target, "-d", probe,
                          missing.group(1)])
            output = again.stdout + again.stderr
    if NETWORK.search(output):
        raise BuildFailed(f"无法连接软件包索引（{what}）：制作离线安装包要在能上网的电脑上运行；使用镜像时设置 "
                          f"PIP_INDEX_URL 后重试。pip 的输出：\n{tail}", code=2)
    raise BuildFailed(f"{what}失败。pip 的输出：\n{tail}")


def _pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, encoding="utf-8", errors="replace")


def build_wheel(work: Path) -> Path:
    say("构建 xltools 的 wheel…")
    pip(["wheel", "--no-deps", "-q", "-w", str(work), str(REPO)], "构建 xltools 的 wheel")
    return next(work.glob("xltools_zfxxgk-*.whl"))


def target_environment(platform: str, python: str) -> dict[str, str]:
    """The values environment markers see on the target (64-bit CPython on Windows, or this interpreter)."""
    if platform != WINDOWS:
        return {key: str(value) for key, value in default_environment().items()}
    return {"implementation_name": "cpython", "implementation_version": f"{python}.0", "os_name": "nt",
            "platform_machine": "AMD64", "platform_python_implementation": "CPython", "platform_release": "10",
            "platform_system": "Windows", "platform_version": "10.0", "python_full_version": f"{python}.0",
            "python_version": python, "sys_platform": "win32"}


def requires_dist(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        meta = HeaderParser().parsestr(z.read(name).decode("utf-8"))
    return [Requirement(r) for r in meta.get_all("Requires-Dist") or []]


def closure(folder: Path, root: Requirement, env: dict[str, str]) -> tuple[dict[str, Path], list[Requirement]]:
    """The wheels in ``folder`` that ``root`` needs on the target, and the requirements no wheel there meets."""
    wheels: dict[str, Path] = {}
    for path in folder.glob("*.whl"):
        name = canonicalize_name(parse_wheel_filename(path.name)[0])
        if name in wheels:
            raise BuildFailed(f"{folder} 中 {name} 有两个版本")
        wheels[name] = path
    needed: dict[str, Path] = {}
    unmet: list[Requirement] = []
    seen: set[tuple[str, str]] = set()
    todo = [root]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        wheel = wheels.get(name)
        if wheel is None or not req.specifier.contains(parse_wheel_filename(wheel.name)[1], prereleases=True):
            unmet.append(req)
            continue
        needed[name] = wheel
        for extra in sorted({"", *req.extras}):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            todo += [dep for dep in requires_dist(wheel)
                     if dep.marker is None or dep.marker.evaluate({**env, "extra": extra})]
    return needed, unmet


def resolve(python: str, platform: str, wheel: Path, work: Path) -> dict[str, Path]:
    """Download and complete the wheels ``xltools-zfxxgk[excel]`` needs on ``platform`` with ``python``."""
    version = parse_wheel_filename(wheel.name)[1]
    root = Requirement(f"{DISTRIBUTION}[{EXTRA}]=={version}")
    env = target_environment(platform, python)
    target = ["--platform", platform, "--python-version", python, "--implementation", "cp"] \
        if platform == WINDOWS else []
    added: list[str] = []
    for attempt in range(1, 6):
        dest = work / f"py{python}-{attempt}"
        dest.mkdir()
        pip(["download", "-q", "--only-binary=:all:", *target, "--find-links", str(wheel.parent), "-d", str(dest),
             str(root), *added], f"下载 Python {python}（{platform}）的组件", target)
        for other in dest.glob("xltools_zfxxgk-*.whl"):  # always our own wheel, whatever an index holds
            other.unlink()
        shutil.copy2(wheel, dest)
        needed, unmet = closure(dest, root, env)
        if not unmet:
            return needed
        more = sorted({str(Requirement(str(r).split(";")[0])) for r in unmet} - set(added))
        if not more:
            break
        added += more
    raise BuildFailed(f"Python {python}（{platform}）：下载的组件不满足这些要求：{'；'.join(map(str, unmet))}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shipped_bytes(name: str) -> bytes:
    """A script from scripts/bundle (UTF-8 in the repository) in the encoding and line ends it ships with."""
    encoding, newline, bom = SHIPPED[name]
    text = (SOURCES / name).read_text(encoding="utf-8").lstrip("\ufeff")
    text = newline.join(text.replace("\r\n", "\n").split("\n"))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise BuildFailed(f"scripts/bundle/{name} 中的字符 {text[exc.start:exc.end]!r} 不能用 {encoding} 编码："
                          "请换一个常用字") from exc
    return (b"\xef\xbb\xbf" if bom else b"") + data


def current_platform() -> str:
    return re.sub(r"[-.]", "_", sysconfig.get_platform())


def assemble(folder: Path, platform: str, pythons: list[str], wheel: Path,
             per_python: dict[str, dict[str, Path]]) -> dict[str, object]:
    """Write the bundle's files into ``folder``; the manifest."""
    version = str(parse_wheel_filename(wheel.name)[1])
    (folder / "wheels").mkdir(parents=True)
    files: dict[str, dict[str, object]] = {}
    for python in pythons:
        for path in per_python[python].values():
            entry = files.get(path.name)
            if entry is None:
                shutil.copy2(path, folder / "wheels" / path.name)
                entry = files[path.name] = {"file": path.name, "sha256": sha256(path),
                                            "size": path.stat().st_size, "pythons": []}
            elif entry["sha256"] != sha256(path):
                raise BuildFailed(f"{path.name} 在不同 Python 版本下载到的内容不同")
            pythons_of = entry["pythons"]
            assert isinstance(pythons_of, list)
            pythons_of.append(python)
    xlwings = {str(parse_wheel_filename(p.name)[1]) for per in per_python.values() for n, p in per.items()
               if n == "xlwings"}
    if len(xlwings) != 1:
        raise BuildFailed(f"xlwings 的版本不唯一：{sorted(xlwings)}")
    for name in SHIPPED:
        (folder / name).write_bytes(shipped_bytes(name))
        if name in EXECUTABLE:
            (folder / name).chmod(0o755)
    preference = sorted(pythons, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    (folder / "versions.txt").write_bytes("".join(f"{k}={v}\r\n" for k, v in [
        ("XLTOOLS_VERSION", version), ("PYTHON_VERSIONS", " ".join(preference)),
        ("RECOMMENDED_PYTHON", RECOMMENDED_PYTHON if platform == WINDOWS else pythons[0]),
        ("PLATFORM", platform)]).encode("ascii"))
    manifest: dict[str, object] = {
        "format": "xltools-bundle/1", "xltools_version": version, "xlwings_version": xlwings.pop(),
        "platform": platform, "python_versions": pythons, "requirement": f"{DISTRIBUTION}[{EXTRA}]=={version}",
        "recommended_python": RECOMMENDED_PYTHON if platform == WINDOWS else pythons[0],
        "built": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wheels": sorted(files.values(), key=lambda e: str(e["file"]).lower()),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    return manifest


def write_zip(folder: Path, target: Path) -> None:
    """``folder`` as a zip holding the folder itself (names in UTF-8, with zip's UTF-8 flag)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o755 if path.name in EXECUTABLE else 0o644) << 16
                z.writestr(info, path.read_bytes())


def build(out: Path, platform: str, pythons: list[str], wheel: Path | None, overwrite: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".xltools-bundle-", dir=out) as work_dir:
        work = Path(work_dir)
        (work / "dist").mkdir()
        # a given wheel is copied into a folder of its own: pip's --find-links sees nothing else there
        wheel = build_wheel(work / "dist") if wheel is None else Path(shutil.copy2(wheel, work / "dist"))
        version = str(parse_wheel_filename(wheel.name)[1])
        name = f"xltools-离线安装包-{version}" + ("" if platform == WINDOWS else f"-{platform}")
        folder, archive = out / name, out / f"{name}.zip"
        if not overwrite and (folder.exists() or archive.exists()):
            raise BuildFailed(f"{folder} 已存在；如需重新生成请加 --overwrite")

        def one(python: str) -> dict[str, Path]:
            say(f"下载 Python {python}（{platform}）所需的组件…")
            needed = resolve(python, platform, wheel, work)
            say(f"Python {python}：{len(needed)} 个组件齐全")
            return needed

        with ThreadPoolExecutor(max_workers=min(3, len(pythons))) as pool:
            per_python = dict(zip(pythons, pool.map(one, pythons), strict=True))
        staged = work / name
        manifest = assemble(staged, platform, pythons, wheel, per_python)
        write_zip(staged, work / archive.name)
        for old in (folder, archive):
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
        os.replace(staged, folder)
        os.replace(work / archive.name, archive)
    wheels = manifest["wheels"]
    assert isinstance(wheels, list)
    size = sum(int(w["size"]) for w in wheels)
    say(f"已生成 {folder}（{len(wheels)} 个 wheel，共 {size / 1e6:.1f} MB；Python {'、'.join(pythons)}）")
    say(f"已生成 {archive}（{archive.stat().st_size / 1e6:.1f} MB），把它复制到各台电脑，解压后双击“安装.bat”")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="制作 xltools 的离线安装包（Windows 64 位，含 Excel 按钮所需组件）。")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="输出文件夹（默认 dist）")
    parser.add_argument("--python", nargs="+", metavar="X.Y", help=f"Python 版本（默认 {' '.join(PYTHONS)}）")
    parser.add_argument("--platform", choices=[WINDOWS, "current"], default=WINDOWS,
                        help="目标平台：win_amd64（默认），或 current（运行本脚本的系统和 Python，用于测试）")
    parser.add_argument("--wheel", type=Path, help="已构建好的 xltools wheel（默认从源代码构建）")
    parser.add_argument("--overwrite", action="store_true", help="替换已有的同名安装包")
    args = parser.parse_args(argv)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    platform = WINDOWS if args.platform == WINDOWS else current_platform()
    if args.platform == "current":
        if args.python and args.python != [running]:
            parser.error(f"--platform current 只能用正在运行的 Python {running}")
        pythons = [running]
    else:
        pythons = sorted(set(args.python or PYTHONS), key=lambda v: tuple(map(int, v.split("."))))
        bad = [v for v in pythons if not re.fullmatch(r"3\.(1[1-9]|[2-9][0-9])", v)]
        if bad:
            parser.error(f"不支持的 Python 版本：{' '.join(bad)}（xltools 需要 3.11 或更新版本）")
    if args.wheel is not None and not re.fullmatch(r"xltools_zfxxgk-[^-]+-py3-none-any\.whl", args.wheel.name):
        parser.error(f"{args.wheel} 不是 xltools 的 wheel（xltools_zfxxgk-<版本>-py3-none-any.whl）")
    if args.wheel is not None and not args.wheel.is_file():
        parser.error(f"找不到 {args.wheel}")
    try:
        build(args.out.absolute(), platform, pythons, args.wheel.absolute() if args.wheel else None, args.overwrite)
    except BuildFailed as exc:
        print(f"build_bundle: {exc}", file=sys.stderr)
        return exc.code
    except OSError as exc:
        print(f"build_bundle: 无法写入 {exc.filename or args.out}（{exc.strerror or exc}）：请检查磁盘空间和写入权限",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
