"""Render the 表三 sheet of the macro workbook, buttons and flags included, with LibreOffice: the picture in the
README (docs/excel-buttons.png). Buttons are not printed in real use (print area and PrintObject); for this picture
a copy is changed so that LibreOffice draws them.

    python scripts/excel_screenshot.py docs/excel-buttons.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hegang-kejiju-2021.json"


def main(target: Path) -> None:
    xltools = str(Path(sys.executable).parent / "xltools")
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("LibreOffice (soffice) is required")
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        book, flagged = work / "book.xlsm", work / "flagged.xlsm"
        subprocess.run([xltools, "new", "--macro", "--from", str(EXAMPLE), "-o", str(book)], check=True)
        wb = openpyxl.load_workbook(book, keep_vba=True)
        wb["表三"]["D7"] = 3  # one wrong number, so that the picture shows a flag
        wb.save(book)
        subprocess.run([xltools, "check", str(book), "--annotate", str(flagged)], capture_output=True)
        wb = openpyxl.load_workbook(flagged, keep_vba=True)
        for name in [n for n in wb.sheetnames if n != "表三"]:
            del wb[name]
        sheet = wb["表三"]
        sheet.print_area = "A1:O29"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A3  # near real size: a small scale squeezes the captions
        wb.save(flagged)
        shown = work / "shown.xlsm"
        with zipfile.ZipFile(flagged) as src, zipfile.ZipFile(shown, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename.startswith("xl/drawings/vmlDrawing"):
                    data = data.replace(b"<x:PrintObject>False</x:PrintObject>", b"")
                dst.writestr(item, data)
        subprocess.run([soffice, f"-env:UserInstallation=file://{work / 'profile'}", "--headless", "--convert-to",
                        "pdf", "--outdir", str(work), str(shown)], check=True, capture_output=True)
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(work / "shown.pdf"),
                        str(work / "page")], check=True)
        shutil.copyfile(work / "page.png", target)
    print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "excel-buttons.png"))
