Attribute VB_Name = "xltools"
' xltools: the buttons of the official workbook. Each button calls one handler in the Python package
' xltools.excel through xlwings (RunPython); the handler reads this workbook, runs the same checks as the
' command line and writes the results back. Settings (which Python to run) are on the hidden sheet
' "xlwings.conf". Without Python, use the command line instead: xltools check / fill / export.
' Generated from xltools/vba/xltools.bas; edit that file, not the workbook.
Option Explicit

Public Sub XltoolsValidate()
    RunPython "import xltools.workbook.handlers as h; h.validate()"
End Sub

Public Sub XltoolsFillTotals()
    RunPython "import xltools.workbook.handlers as h; h.fill_totals()"
End Sub

Public Sub XltoolsFlag()
    RunPython "import xltools.workbook.handlers as h; h.flag()"
End Sub

Public Sub XltoolsClearFlags()
    RunPython "import xltools.workbook.handlers as h; h.clear_flags()"
End Sub

Public Sub XltoolsExport()
    RunPython "import xltools.workbook.handlers as h; h.export_report()"
End Sub
