"""Cross-cutting promises: health, Server-Timing, CSP, deploy settings, language."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from ..conftest import login, requires_redis

ROOT = Path(settings.BASE_DIR)


def _environment(**overrides) -> dict[str, str]:
    """This process's environment without test-only switches, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **overrides}


def _run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_healthz_names_each_dependency(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] in {"ok", "eager"}
    assert response["Cache-Control"].startswith("max-age=0")


@requires_redis
@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_pings_the_real_broker(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get(reverse("healthz")).json()["broker"] == "ok"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get(reverse("healthz"))
    assert response.status_code == 200  # degraded, the site still serves pages
    assert response.json()["broker"] == "down"


def test_healthz_is_503_when_the_database_is_unreachable():
    """A real process pointed at a closed port: no faking of the database."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz/', HTTP_HOST='127.0.0.1');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = _run_python(
        code,
        DJANGO_SETTINGS_MODULE="copro.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/copro",
        REDIS_URL="",
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 503
    assert out["body"]["database"] == "down"


@pytest.mark.django_db
def test_server_timing_header_counts_queries(world, client):
    login(client, world.user("owner"))
    response = client.get(reverse("residents:dashboard", args=[world.home.slug]))
    header = response["Server-Timing"]
    match = re.fullmatch(r'db;dur=[\d.]+;desc="(\d+) queries", app;dur=[\d.]+', header)
    assert match, header
    assert int(match.group(1)) > 0


@pytest.mark.django_db
def test_server_timing_can_be_switched_off(client, settings):
    settings.SERVER_TIMING = False
    assert "Server-Timing" not in client.get(reverse("healthz"))


@pytest.mark.django_db
def test_strict_content_security_policy(client):
    csp = client.get(reverse("account_login"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_templates_have_no_inline_script_style_or_handlers():
    """The CSP forbids inline code: keep every template free of it."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for script in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in script and "application/json" not in script:
                offenders.append(f"{path}: {script}")
        if re.search(r"\sstyle=|<style\b", text):
            offenders.append(f"{path}: inline style")
        if re.search(r"\son[a-z]+=", text):
            offenders.append(f"{path}: inline event handler")
    assert offenders == []


def test_production_settings_pass_check_deploy():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_environment(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="copro.example.org",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_python(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="copro.settings",
        DEBUG="0",
        SECRET_KEY="",
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
class TestLanguage:
    def test_login_page_is_french_even_for_an_english_browser(self, client):
        response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US")
        assert '<html lang="fr">' in response.content.decode()
        assert response["Content-Language"] == "fr"

    def test_language_cookie_switches_to_english(self, client):
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        response = client.get(reverse("account_login"))
        assert '<html lang="en">' in response.content.decode()

    def test_signed_in_persons_choice_is_saved_and_wins(self, world, client):
        owner = world.user("owner")
        login(client, owner)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        owner.refresh_from_db()
        assert owner.language == "en"
        client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        response = client.get(reverse("residents:profile"))
        assert '<html lang="en">' in response.content.decode()
