"""PDF through LibreOffice headless (``soffice --convert-to pdf``): the converter clerks and servers have for free.

Each conversion runs with its own throw-away LibreOffice profile, so it works beside an open LibreOffice and two
conversions can run at once. On fontconfig systems the missing official fonts fall back as ``fonts.conf`` says.
LibreOffice runs in a process group of its own: when it takes too long, the whole group is stopped (``soffice``
starts ``soffice.bin``, which would otherwise keep running after the time-out).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
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


def docx_to_pdf(source: str | Path, pdf: str | Path) -> None:
    """Convert ``source`` (.docx) to ``pdf``. Raises PdfError."""
    soffice = find_soffice()
    if soffice is None:
        raise PdfError(INSTALL_HINT)
    env = dict(os.environ)
    if os.path.isfile(SYSTEM_FONTS_CONF):
        env["FONTCONFIG_FILE"] = str(FONTS_CONF)
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
