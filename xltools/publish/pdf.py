"""PDF through LibreOffice headless (``soffice --convert-to pdf``): the converter clerks and servers have for free.

Each conversion runs with its own throw-away LibreOffice profile, so it works beside an open LibreOffice and two
conversions can run at once. On fontconfig systems the missing official fonts fall back as ``fonts.conf`` says,
and the user is told once which fonts were substituted by which (asked of ``fc-match`` with the same rules).
LibreOffice runs in a process group of its own: when it takes too long, the whole group is stopped (``soffice``
starts ``soffice.bin``, which would otherwise keep running after the time-out).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from xltools.atomic import temp_folder
from xltools.errors import XltoolsError

FONTS_CONF = Path(__file__).with_name("fonts.conf")
SYSTEM_FONTS_CONF = "/etc/fonts/fonts.conf"
CANDIDATES = (
    "soffice", "libreoffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
INSTALL_HINT = (
    "未找到 LibreOffice，无法生成 PDF。请安装 LibreOffice（Debian/Ubuntu：sudo apt-get install "
    "libreoffice-writer-nogui fonts-noto-cjk；Windows/macOS：https://zh-cn.libreoffice.org/download/），"
    "或用环境变量 XLTOOLS_SOFFICE 指定 soffice 程序的位置；也可以先导出 .docx，再用 Word/WPS 另存为 PDF。"
    " / LibreOffice not found: install it, or set XLTOOLS_SOFFICE to the soffice program."
)
TIMEOUT = 180
FC_TIMEOUT = 10  # fc-match answers in milliseconds; a broken font cache must not stop the export
RUNNING = "正在用 LibreOffice 生成 PDF… / making the PDF with LibreOffice…"


class PdfError(XltoolsError):
    """The PDF could not be made; the message says why and what to do (Chinese, then English)."""


def find_soffice() -> str | None:
    """The LibreOffice program: $XLTOOLS_SOFFICE, else soffice/libreoffice on PATH or in the usual places."""
    configured = os.environ.get("XLTOOLS_SOFFICE")
    if configured:
        return configured if os.path.isfile(configured) or shutil.which(configured) else None
    for name in CANDIDATES:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.path.isfile(name) else None)
        if found:
            return found
    return None


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run LibreOffice within TIMEOUT; on a time-out (or an interrupt) stop it and every process it started, then
    raise subprocess.TimeoutExpired (or the interrupt)."""
    windows = sys.platform == "win32"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=not windows,
                            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if windows else 0)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except BaseException:  # the time-out, or Ctrl+C: never leave LibreOffice running
        if windows:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def substituted_fonts(fonts: Iterable[str], env: dict[str, str]) -> list[tuple[str, str]]:
    """(font, the font used instead) for every font of ``fonts`` that is not installed, as fontconfig (``fc-match``
    under ``env``) resolves it for LibreOffice; [] where there is no fontconfig or it does not answer."""
    fc_match = shutil.which("fc-match")
    if fc_match is None or not os.path.isfile(SYSTEM_FONTS_CONF):
        return []
    out = []
    for font in fonts:
        try:
            done = subprocess.run([fc_match, "-f", "%{family}", font], capture_output=True, text=True, env=env,
                                  timeout=FC_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            return []
        families = [f.strip() for f in done.stdout.split(",") if f.strip()]
        if done.returncode != 0 or not families:
            return []
        if font.casefold() not in (f.casefold() for f in families):
            out.append((font, families[0]))
    return out


def font_warning(substituted: list[tuple[str, str]]) -> str:
    """One line saying which fonts the PDF shows in which others."""
    by_used: dict[str, list[str]] = {}
    for font, used in substituted:
        by_used.setdefault(used, []).append(font)
    zh = "，".join(f"{'、'.join(fonts)} 以 {used} 代替" for used, fonts in by_used.items())
    en = ", ".join(f"{font} → {used}" for font, used in substituted)
    return (f"注意：本机没有安装公文字体，PDF 中{zh}。需要正式字体时，请安装这些字体后重新导出，或导出 .docx 后在装有"
            f"这些字体的电脑上用 Word/WPS 另存为 PDF。 / fonts not installed, substituted in the PDF: {en}")


def docx_to_pdf(source: str | Path, pdf: str | Path, notice: Callable[[str], None] | None = None,
                fonts: Iterable[str] = ()) -> None:
    """Convert ``source`` (.docx) to ``pdf``. Raises PdfError. ``notice`` gets one line when LibreOffice starts,
    and before it one line naming the ``fonts`` (those the document uses) that are missing and what replaces
    them."""
    soffice = find_soffice()
    if soffice is None:
        raise PdfError(INSTALL_HINT)
    env = dict(os.environ)
    if os.path.isfile(SYSTEM_FONTS_CONF):
        env["FONTCONFIG_FILE"] = str(FONTS_CONF)
    if notice is not None:
        substituted = substituted_fonts(fonts, env)
        if substituted:
            notice(font_warning(substituted))
        notice(RUNNING)
    with temp_folder(pdf) as work:  # beside the PDF: a killed run's folder is removed by the next one
        profile = Path(work, "profile").as_uri()
        outdir = Path(work, "out")
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(outdir), str(source)]
        try:
            done = _run(cmd, env)
        except subprocess.TimeoutExpired:
            raise PdfError(f"LibreOffice 在 {TIMEOUT} 秒内没有完成转换 / LibreOffice timed out") from None
        except OSError as exc:
            raise PdfError(f"无法启动 LibreOffice（{soffice}）：{exc.strerror or exc}") from None
        made = outdir / (Path(source).stem + ".pdf")
        if not made.is_file():
            detail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
            said = " ".join(detail) or "无输出"
            raise PdfError(f"LibreOffice 没有生成 PDF（退出码 {done.returncode}）：{said}")
        shutil.copyfile(made, pdf)
