"""Real HTTP and a real browser: gunicorn serving a demo database, driven by Chromium.

Browser tests are skipped, with the reason printed, only when Chromium or Playwright is
missing; `make test` installs both where it can.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """gunicorn on a free port with its own SQLite database holding the demo district."""

    def __init__(self, workdir: Path, extra_env=None, gunicorn_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = workdir / "live.db"
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{self.db_path}",
                    "SECRET_KEY": "live-test-secret", "DATA_KEY": "live-test-data-key",
                    "FLASK_APP": "wsgi.py",
                    "MEDIA_ROOT": str(workdir / "media"),
                    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **(extra_env or {})}
        self.log_path = workdir / "gunicorn.log"
        self.log = open(self.log_path, "w")
        self.gunicorn_args = list(gunicorn_args)
        self.proc = None

    def flask(self, *args):
        subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)

    def start(self):
        self.flask("db", "upgrade")
        self.flask("demo", "load")
        self._serve()
        return self

    def _serve(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--threads", "4", *self.gunicorn_args, "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urlopen(self.url + "/login", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see gunicorn.log")

    def restart(self, **extra_env):
        """Serve again on the same port and database, e.g. as a new deployment."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.env.update(extra_env)
        self._serve()
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def chromium_missing():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser):
    """A fresh 360×640 phone context that allows service workers."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, service_workers="allow",
                                  locale="zh-CN")
    yield context
    context.close()


def sign_in(page, base_url, username, password="gridwalk-demo", navigate=True):
    if navigate:
        page.goto(base_url + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    # Wait for the answer to the sign-in itself: a navigation started before it lands would
    # abort the sign-in and find the old, ended session.
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
