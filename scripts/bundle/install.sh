#!/bin/sh
# xltools offline install for Linux: the twin of 安装.bat, with the same steps and messages. It finds Python 3.11+
# (a version this bundle has wheels for), creates a per-user venv, installs xltools-zfxxgk[excel] from wheels/
# without any index, and runs the per-PC set-up (xltools.workbook.pc_setup).
#   sh install.sh [--quiet] [--prefix DIR]     (DIR replaces ${XDG_DATA_HOME:-$HOME/.local/share}/xltools)
# Exit codes: 0 installed, 1 failed, 2 no suitable Python.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
QUIET=0
XLT_HOME="${XDG_DATA_HOME:-$HOME/.local/share}/xltools"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

usage() {
  echo "用法：sh install.sh [--quiet] [--prefix 文件夹]"
  exit "$1"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --quiet|-q) QUIET=1 ;;
    --prefix) [ $# -ge 2 ] || usage 1; XLT_HOME=$2; shift ;;
    --prefix=*) XLT_HOME=${1#--prefix=} ;;
    -h|--help) usage 0 ;;
    *) echo "不认识的参数：$1"; usage 1 ;;
  esac
  shift
done

finish() {
  [ "$QUIET" = 1 ] || [ ! -t 0 ] || { printf '按回车键关闭…'; read -r _; }
  exit "$1"
}

if [ ! -f "$HERE/versions.txt" ] || [ ! -d "$HERE/wheels" ]; then
  echo "安装包不完整（缺少 versions.txt 或 wheels）：请先把整个压缩包解压，再运行解压出的安装程序。"
  finish 1
fi
setting() { tr -d '\r' < "$HERE/versions.txt" | sed -n "s/^$1=//p"; }
XLTOOLS_VERSION=$(setting XLTOOLS_VERSION)
PYTHON_VERSIONS=$(setting PYTHON_VERSIONS)
VENV="$XLT_HOME/venv"
LOG="$XLT_HOME/logs/install.log"
if ! mkdir -p "$XLT_HOME/logs" 2>/dev/null || ! : >> "$LOG" 2>/dev/null; then
  echo "安装失败：无法在 $XLT_HOME 中写入，请换一个安装位置（--prefix）。"
  finish 1
fi
echo "==== $(date '+%Y-%m-%d %H:%M:%S') xltools $XLTOOLS_VERSION 安装，安装包 $HERE" >> "$LOG"
echo "xltools 离线安装（版本 $XLTOOLS_VERSION）"

fail() {
  echo "安装失败：$1"
  echo "详细记录在：$LOG"
  echo "安装失败：$1" >> "$LOG"
  finish 1
}

# A Python that suits: 64-bit, a version the bundle has wheels for, with venv and ensurepip.
CHECK="import sys,venv,ensurepip;v='{0}.{1}'.format(*sys.version_info);ok=sys.maxsize>2**32 and v in sys.argv[1:];print(sys.executable) if ok else None;sys.exit(0 if ok else 1)"
PY=""
check() {
  [ -n "$PY" ] && return 0
  # shellcheck disable=SC2086  # the versions are separate arguments
  found=$("$1" -c "$CHECK" $PYTHON_VERSIONS 2>/dev/null) && [ -n "$found" ] && PY=$found
  return 0
}

echo "正在查找 Python…"
REUSE=0
check "$VENV/bin/python"
[ -n "$PY" ] && REUSE=1
for v in $PYTHON_VERSIONS; do
  command -v "python$v" >/dev/null 2>&1 && check "$(command -v "python$v")"
done
for name in python3 python; do
  command -v "$name" >/dev/null 2>&1 && check "$(command -v "$name")"
done
if [ -z "$PY" ]; then
  echo "没有找到可用的 Python：需要 64 位的 Python（版本 $PYTHON_VERSIONS 之一），以及它的 venv 模块。"
  echo "请先安装（如 Debian/Ubuntu：apt-get install python3 python3-venv），装好后重新运行本安装程序。"
  echo "没有找到可用的 Python" >> "$LOG"
  finish 2
fi
echo "使用 Python：$PY"
echo "Python: $PY" >> "$LOG"

if [ "$REUSE" = 0 ]; then
  echo "正在创建 Python 环境：$VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" >> "$LOG" 2>&1 || fail "无法创建 Python 环境 $VENV"
fi
echo "正在安装 xltools $XLTOOLS_VERSION 和 Excel 按钮所需的组件（不联网）…"
"$VENV/bin/python" -m pip install --no-index --find-links "$HERE/wheels" --upgrade \
  "xltools-zfxxgk[excel]==$XLTOOLS_VERSION" >> "$LOG" 2>&1 || fail "安装组件时出错"
"$VENV/bin/python" -m xltools.workbook.pc_setup || fail "安装后的检查没有通过（原因见上一行）"
echo "安装成功" >> "$LOG"
finish 0
