# xltools offline install for Windows, the PowerShell twin of 安装.bat (same steps, same messages): finds a suitable
# 64-bit Python, creates a per-user venv, installs xltools-zfxxgk[excel] from wheels\ without any index, and runs
# the per-PC set-up (xltools.workbook.pc_setup).
#   powershell -NoProfile -ExecutionPolicy Bypass -File 安装.ps1 [-Quiet] [-Prefix DIR]
#   (DIR replaces %LOCALAPPDATA%\xltools)
# Exit codes: 0 installed, 1 failed, 2 no suitable Python.
# Source in UTF-8; scripts/build_bundle.py ships it with a BOM (PowerShell 5.1 reads a file without one in the
# ANSI code page).
param([switch]$Quiet, [string]$Prefix = '')

$ErrorActionPreference = 'Continue'
$Here = $PSScriptRoot
$env:PIP_DISABLE_PIP_VERSION_CHECK = '1'
$env:PIP_NO_INPUT = '1'
$env:PYTHON_MANAGER_AUTOMATIC_INSTALL = 'false'  # py -3.x never downloads a runtime on its own
if (-not $Prefix) { $Prefix = Join-Path $env:LOCALAPPDATA 'xltools' }

function Finish([int]$Code) {
    if (-not $Quiet) { [void](Read-Host '按回车键关闭窗口') }
    exit $Code
}

$VersionsFile = Join-Path $Here 'versions.txt'
$Wheels = Join-Path $Here 'wheels'
if (-not (Test-Path -LiteralPath $VersionsFile) -or -not (Test-Path -LiteralPath $Wheels)) {
    Write-Host '安装包不完整（缺少 versions.txt 或 wheels）：请先把整个压缩包解压（右键，全部解压缩），'
    Write-Host '再运行解压出的安装程序。'
    Finish 1
}
$Settings = @{}
foreach ($line in Get-Content -LiteralPath $VersionsFile) {
    if ($line -match '^(\w+)=(.*)$') { $Settings[$Matches[1]] = $Matches[2].Trim() }
}
$Version = $Settings['XLTOOLS_VERSION']
$PythonVersions = @($Settings['PYTHON_VERSIONS'] -split '\s+' | Where-Object { $_ })
$Venv = Join-Path $Prefix 'venv'
$LogDir = Join-Path $Prefix 'logs'
$Log = Join-Path $LogDir 'install.log'
try {
    New-Item -ItemType Directory -Force -Path $LogDir -ErrorAction Stop | Out-Null
} catch {
    Write-Host "安装失败：无法在 $Prefix 中写入，请换一个安装位置（-Prefix）。"
    Finish 1
}

function Write-Log([string]$Text) { Add-Content -LiteralPath $Log -Value $Text -Encoding UTF8 }

function Fail([string]$Why) {
    Write-Host "安装失败：$Why"
    Write-Host "详细记录在：$Log"
    Write-Log "安装失败：$Why"
    Finish 1
}

Write-Log "==== $(Get-Date -Format 'yyyy-MM-dd HH:mm:ss') xltools $Version 安装，安装包 $Here"
Write-Host "xltools 离线安装（版本 $Version）"

# A Python that suits: 64-bit, a version the bundle has wheels for, with venv and ensurepip.
$Check = "import sys,venv,ensurepip;v='{0}.{1}'.format(*sys.version_info);ok=sys.maxsize>2**32 and v in sys.argv[1:];print(sys.executable) if ok else None;sys.exit(0 if ok else 1)"
function Test-Python([string]$Exe, [string[]]$Options = @()) {
    try {
        $out = & $Exe @Options '-c' $Check @PythonVersions 2>$null
    } catch {
        return $null
    }
    if ($LASTEXITCODE -eq 0 -and $out) { return ([string](@($out)[0])).Trim() }
    return $null
}

Write-Host '正在查找 Python…'
$Python = $null
$Reuse = $false
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
if (Test-Path -LiteralPath $VenvPython) {
    $Python = Test-Python $VenvPython
    $Reuse = [bool]$Python
}
# the py launcher, newest suitable version first
if (-not $Python -and (Get-Command py -ErrorAction SilentlyContinue)) {
    foreach ($v in $PythonVersions) {
        $Python = Test-Python 'py' @("-$v")
        if ($Python) { break }
    }
}
# python on PATH, except the Microsoft Store alias in WindowsApps
if (-not $Python) {
    foreach ($found in @(Get-Command python -All -CommandType Application -ErrorAction SilentlyContinue)) {
        if ($found.Path -like '*\WindowsApps\*') { continue }
        $Python = Test-Python $found.Path
        if ($Python) { break }
    }
}
# the usual folders of the python.org installer (per user, for all users) and of the Python install manager
if (-not $Python) {
    foreach ($v in $PythonVersions) {
        $digits = $v -replace '\.', ''
        $folders = @("$env:LOCALAPPDATA\Programs\Python\Python$digits", "$env:ProgramFiles\Python$digits",
                     "$env:LOCALAPPDATA\Python\pythoncore-$v-64")
        foreach ($folder in $folders) {
            $exe = Join-Path $folder 'python.exe'
            if (Test-Path -LiteralPath $exe) { $Python = Test-Python $exe }
            if ($Python) { break }
        }
        if ($Python) { break }
    }
}
if (-not $Python) {
    $Recommended = $Settings['RECOMMENDED_PYTHON']
    Write-Host ''
    Write-Host "没有找到可用的 Python：需要 64 位的 Python（版本 $($PythonVersions -join ' ') 之一）。"
    Write-Host "请信息中心先为这台电脑安装 python.org 的 Windows 安装程序 python-$Recommended.x-amd64.exe"
    Write-Host '（x 为最新的小版本号，下载地址 https://www.python.org/downloads/windows/ ），'
    Write-Host '为所有用户静默安装的命令（需要管理员权限）：'
    Write-Host "    python-$Recommended.x-amd64.exe /quiet InstallAllUsers=1 PrependPath=1 Include_test=0"
    Write-Host '装好后重新运行本安装程序。'
    Write-Log '没有找到可用的 Python'
    Finish 2
}
Write-Host "使用 Python：$Python"
Write-Log "Python: $Python"

if (-not $Reuse) {
    Write-Host "正在创建 Python 环境：$Venv"
    if (Test-Path -LiteralPath $Venv) { Remove-Item -LiteralPath $Venv -Recurse -Force }
    & $Python -m venv $Venv 2>&1 | ForEach-Object { "$_" } | Add-Content -LiteralPath $Log -Encoding UTF8
    if ($LASTEXITCODE -ne 0) { Fail "无法创建 Python 环境 $Venv" }
}
Write-Host "正在安装 xltools $Version 和 Excel 按钮所需的组件（不联网）…"
& $VenvPython -m pip install --no-index --find-links $Wheels --upgrade "xltools-zfxxgk[excel]==$Version" 2>&1 |
    ForEach-Object { "$_" } | Add-Content -LiteralPath $Log -Encoding UTF8
if ($LASTEXITCODE -ne 0) { Fail '安装组件时出错' }
& $VenvPython -m xltools.workbook.pc_setup
if ($LASTEXITCODE -ne 0) { Fail '安装后的检查没有通过（原因见上一行）' }
Write-Log '安装成功'
Finish 0
