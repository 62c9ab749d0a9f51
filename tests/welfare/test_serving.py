"""gunicorn.conf.py: what gunicorn reads when it serves the app from the project's root."""

import os
import runpy
import subprocess
import sys

import pytest
from django.conf import settings

CONFIG = str(settings.BASE_DIR / "gunicorn.conf.py")


def read_config(monkeypatch, **environment):
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONFIG)


def test_the_defaults_fit_one_server(monkeypatch):
    config = read_config(monkeypatch)
    assert config["workers"] == os.cpu_count() * 2 + 1
    assert config["worker_class"] == "sync"
    # Longer than gunicorn's 30 s, which ended the national case export with a 500.
    assert config["timeout"] == 120
    assert config["control_socket_disable"] is True
    assert config["max_requests"] == 1000 and config["max_requests_jitter"] == 100
    assert config["bind"] == "127.0.0.1:8000"


def test_the_environment_overrides_them(monkeypatch):
    config = read_config(
        monkeypatch,
        GUNICORN_WORKERS="3",
        GUNICORN_TIMEOUT="300",
        GUNICORN_CONTROL_SOCKET="/run/welfare/gunicorn.ctl",
        GUNICORN_BIND="0.0.0.0:8080",
    )
    assert config["workers"] == 3 and config["timeout"] == 300
    assert config["control_socket"] == "/run/welfare/gunicorn.ctl"
    assert config["control_socket_disable"] is False
    assert config["bind"] == "0.0.0.0:8080"


@pytest.mark.slow  # starts gunicorn
def test_gunicorn_accepts_the_file():
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    result = subprocess.run(
        [gunicorn, "--check-config", "-c", CONFIG, "welfare.wsgi"],
        env={**os.environ, "SECRET_KEY": "x"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
