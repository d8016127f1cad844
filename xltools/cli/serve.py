"""``xltools serve``: the submission portal (xltools.portal) on this computer, with waitress (the only module
importing it). Django is imported here only when the command runs."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from xltools.cli.app import _fail, cli

WILDCARDS = ("0.0.0.0", "::", "")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听的地址（0.0.0.0：局域网内其他电脑也能访问，需同时设置 XLTOOLS_PORTAL_HOSTS）/ address")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口 / port")
@click.option("--data", "data", type=click.Path(file_okay=False), default="xltools-data", show_default=True,
              help="数据文件夹：数据库、上传的文件、汇总结果、密钥 / data folder")
@click.option("--demo", is_flag=True,
              help="建一个演示轮次和几个演示单位，并显示各账号的用户名和密码 / create a demo round, print accounts")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="同时处理的请求数 / worker threads")
def serve(host: str, port: int, data: str, demo: bool, threads: int) -> None:
    """启动报送平台：各单位在浏览器中上传年度报告并立即看到校验结果，政务公开办查看报送情况、退回、采用、汇总。

    Run the submission portal: units upload their reports and see the findings at once; the office follows the
    round, sends back, accepts and consolidates. SQLite in the data folder by default (DATABASE_URL for
    PostgreSQL); production set-up: xltools docs portal. Ctrl+C (or SIGTERM) stops it, with exit code 0.

    \b
    Example:
        xltools serve --demo
        xltools serve --host 0.0.0.0 --port 8080 --data D:\\报送平台数据
    """
    from xltools.errors import require

    require("django", "portal")
    require("waitress", "portal")
    folder = Path(data).resolve()
    try:
        (folder / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT: WhiteNoise serves from the finders
        _write_secret(folder)
    except OSError as exc:
        _fail(f"无法使用数据文件夹 {folder}：{exc.strerror or exc}", f"cannot use the data folder {folder}: {exc}")
    os.environ["XLTOOLS_PORTAL_DATA"] = str(folder)
    os.environ["DJANGO_SETTINGS_MODULE"] = "xltools.portal.settings"
    if host not in WILDCARDS and "XLTOOLS_PORTAL_HOSTS" not in os.environ:
        os.environ["XLTOOLS_PORTAL_HOSTS"] = ",".join(dict.fromkeys(
            ["localhost", "127.0.0.1", "[::1]", f"[{host}]" if ":" in host else host]))

    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if demo:
        from xltools.portal.demo import create_demo

        click.echo("演示账号（密码只显示这一次；再次加 --demo 启动会换新密码）/ demo accounts:")
        for role, username, password in create_demo():
            click.echo(f"  {role}　用户名：{username}　密码：{password}")
    connections.close_all()
    _run(host, port, threads, folder)


def _write_secret(folder: Path) -> None:
    """The secret key file (sessions, CSRF), written once; readable by this user only."""
    path = folder / "secret_key"
    if os.environ.get("XLTOOLS_PORTAL_SECRET") or path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(50) + "\n")


def _run(host: str, port: int, threads: int, folder: Path) -> None:
    import logging

    from waitress import create_server

    # waitress warns "Task queue depth is N" for every request that waits for a thread: thousands of lines in a busy
    # round, none of them actionable (requests wait, none is lost; benchmarks/portal_load.py measures the wait)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    from xltools.portal.wsgi import application

    try:
        server = create_server(application, host=host, port=port, threads=threads, ident="xltools",
                               max_request_body_size=200 * 1024 * 1024)
    except OSError as exc:
        _fail(f"无法在 {host}:{port} 上启动：{exc.strerror or exc}（端口可能已被占用，请换一个 --port）",
              f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    shown = "127.0.0.1" if host in WILDCARDS else (f"[{host}]" if ":" in host else host)
    click.echo(f"报送平台已启动：http://{shown}:{port}/　数据文件夹：{folder}　按 Ctrl+C 停止")
    click.echo(f"portal running: http://{shown}:{port}/ (Ctrl+C stops it)")
    server.run()  # returns when Ctrl+C or SIGTERM stops it (waitress finishes the requests in progress)
    click.echo("报送平台已停止 / portal stopped")
