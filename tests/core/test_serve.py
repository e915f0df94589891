"""`make serve`'s gunicorn settings start the app and serve pages, with the access log timing
each request (against a migrated SQLite file here; PostgreSQL in production)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from caseworks import ROOT

BIN = Path(sys.executable).parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_the_app_with_timed_access_log(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "CASEWORKS_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "CASEWORKS_SECRET_KEY": "s" * 40,
        "PORT": str(port),
        "CASEWORKS_WORKERS": "1",
        "CASEWORKS_THREADS": "2",
    }
    subprocess.run(
        [BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            page = response.read().decode()
        assert "登录" in page
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=20)
    assert '"GET /login HTTP/1.1" 200' in log
    assert "ms " in log.split('"GET /login HTTP/1.1" 200', 1)[1].splitlines()[0]
