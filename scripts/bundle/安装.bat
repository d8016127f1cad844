@echo off
chcp 936 >nul
rem xltools offline install for Windows: finds a suitable 64-bit Python, creates a per-user venv, installs
rem xltools-zfxxgk[excel] from wheels\ without any index, and runs the per-PC set-up (xltools.workbook.pc_setup).
rem   安装.bat [/quiet] [/prefix DIR]      (DIR replaces %LOCALAPPDATA%\xltools)
rem Exit codes: 0 installed, 1 failed, 2 no suitable Python.
rem Source in UTF-8; scripts/build_bundle.py ships it as GB2312 (cp936) with CRLF. chcp 936 comes first, before
rem any non-ASCII byte: cmd reads each line in the console code page, which may be UTF-8 or 437 before it.
rem No delayed expansion, and no variable expanded unquoted inside a parenthesised block, so that paths holding
rem ! or ( ) cannot break the script.
setlocal EnableExtensions DisableDelayedExpansion
set "HERE=%~dp0"
set "QUIET="
set "XLT_HOME=%LOCALAPPDATA%\xltools"
set "PIP_DISABLE_PIP_VERSION_CHECK=1"
set "PIP_NO_INPUT=1"
set "PYTHON_MANAGER_AUTOMATIC_INSTALL=false"
set "RC=1"

:args
if "%~1"=="" goto args_done
if /i "%~1"=="/quiet" (set "QUIET=1" & shift & goto args)
if /i "%~1"=="-quiet" (set "QUIET=1" & shift & goto args)
if /i "%~1"=="/prefix" (set "XLT_HOME=%~2" & shift & shift & goto args)
echo 不认识的参数：%1
echo 用法：安装.bat [/quiet] [/prefix 文件夹]
goto finish
:args_done
if not defined XLT_HOME goto usage_prefix

if exist "%HERE%versions.txt" if exist "%HERE%wheels\" goto have_bundle
echo 安装包不完整（缺少 versions.txt 或 wheels）：请先把整个压缩包解压（右键，全部解压缩），
echo 再双击解压出的“安装.bat”。
goto finish
:have_bundle
for /f "usebackq tokens=1,* delims==" %%a in ("%HERE%versions.txt") do set "%%a=%%b"
set "VENV=%XLT_HOME%\venv"
set "LOG=%XLT_HOME%\logs\install.log"
set "TMPF=%TEMP%\xltools-install-%RANDOM%%RANDOM%.txt"
if not exist "%XLT_HOME%\logs\" mkdir "%XLT_HOME%\logs" >nul 2>&1
if exist "%XLT_HOME%\logs\" goto have_log
echo 安装失败：无法在 %XLT_HOME% 中写入，请换一个安装位置（/prefix）。
goto finish
:have_log
>>"%LOG%" echo ==== %DATE% %TIME% xltools %XLTOOLS_VERSION% 安装，安装包 %HERE%
echo xltools 离线安装（版本 %XLTOOLS_VERSION%）

echo 正在查找 Python…
set "PY="
set "REUSE="
call :check "%VENV%\Scripts\python.exe"
if defined PY set "REUSE=1"
if defined PY goto have_python
rem the py launcher, newest suitable version first
for %%v in (%PYTHON_VERSIONS%) do if not defined PY call :check py -%%v
if defined PY goto have_python
rem python on PATH, except the Microsoft Store alias in WindowsApps
for /f "delims=" %%p in ('where python 2^>nul') do if not defined PY call :check_path "%%p"
if defined PY goto have_python
rem the usual folders of the python.org installer (per user, for all users) and of the Python install manager
for %%v in (%PYTHON_VERSIONS%) do if not defined PY call :check_folders %%v
if defined PY goto have_python
goto no_python

:have_python
echo 使用 Python：%PY%
>>"%LOG%" echo Python: %PY%
if defined REUSE goto install
echo 正在创建 Python 环境：%VENV%
if exist "%VENV%\" rmdir /s /q "%VENV%"
"%PY%" -m venv "%VENV%" >>"%LOG%" 2>&1
if errorlevel 1 goto fail_venv
:install
echo 正在安装 xltools %XLTOOLS_VERSION% 和 Excel 按钮所需的组件（不联网）…
"%VENV%\Scripts\python.exe" -m pip install --no-index --find-links "%HERE%wheels" --upgrade "xltools-zfxxgk[excel]==%XLTOOLS_VERSION%" >>"%LOG%" 2>&1
if errorlevel 1 goto fail_pip
"%VENV%\Scripts\python.exe" -m xltools.workbook.pc_setup
if errorlevel 1 goto fail_setup
>>"%LOG%" echo 安装成功
set "RC=0"
goto finish

:no_python
echo.
echo 没有找到可用的 Python：需要 64 位的 Python（版本 %PYTHON_VERSIONS% 之一）。
echo 请信息中心先为这台电脑安装 python.org 的 Windows 安装程序 python-%RECOMMENDED_PYTHON%.x-amd64.exe
echo （x 为最新的小版本号，下载地址 https://www.python.org/downloads/windows/ ），
echo 为所有用户静默安装的命令（需要管理员权限）：
echo     python-%RECOMMENDED_PYTHON%.x-amd64.exe /quiet InstallAllUsers=1 PrependPath=1 Include_test=0
echo 装好后重新运行本安装程序。
>>"%LOG%" echo 没有找到可用的 Python
set "RC=2"
goto finish

:fail_venv
set "WHY=无法创建 Python 环境 %VENV%"
goto fail
:fail_pip
set "WHY=安装组件时出错"
goto fail
:fail_setup
set "WHY=安装后的检查没有通过（原因见上一行）"
goto fail
:usage_prefix
echo 用法：安装.bat [/quiet] [/prefix 文件夹]
goto finish
:fail
echo 安装失败：%WHY%
echo 详细记录在：%LOG%
>>"%LOG%" echo 安装失败：%WHY%
set "RC=1"

:finish
if defined TMPF if exist "%TMPF%" del "%TMPF%" >nul 2>&1
if not defined QUIET pause
endlocal & exit /b %RC%

rem ---- subroutines ----
:check
rem %1 = a Python program, %2 = an option for it (py -3.12); sets PY when it is 64-bit, of a version the bundle
rem has wheels for, with venv and ensurepip
if defined PY exit /b 0
"%~1" %~2 -c "import sys,venv,ensurepip;v='{0}.{1}'.format(*sys.version_info);ok=sys.maxsize>2**32 and v in sys.argv[1:];print(sys.executable) if ok else None;sys.exit(0 if ok else 1)" %PYTHON_VERSIONS% >"%TMPF%" 2>nul
if errorlevel 1 exit /b 0
set /p PY=<"%TMPF%"
exit /b 0

:check_path
set "CAND=%~1"
if not "%CAND:\WindowsApps\=%"=="%CAND%" exit /b 0
call :check "%CAND%"
exit /b 0

:check_folders
set "VV=%~1"
set "VV=%VV:.=%"
call :check "%LOCALAPPDATA%\Programs\Python\Python%VV%\python.exe"
call :check "%ProgramFiles%\Python%VV%\python.exe"
call :check "%LOCALAPPDATA%\Python\pythoncore-%~1-64\python.exe"
exit /b 0
