"""No Docker engine runs here: the Dockerfile and compose file are checked by reading them."""

from __future__ import annotations

import re

import yaml

from tests.test_gunicorn import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_image_runs_as_a_non_root_user() -> None:
    users = instructions("USER")
    assert users and users[-1].strip() not in {"root", "0", "0:0"}


def test_image_checks_readiness_and_starts_gunicorn() -> None:
    [healthcheck] = instructions("HEALTHCHECK")
    assert "/ready" in healthcheck
    assert instructions("ENTRYPOINT")[-1].startswith('["gunicorn", "-c", "gunicorn.conf.py"')


def test_image_has_runtime_requirements_only() -> None:
    assert "requirements-dev" not in DOCKERFILE
    copied = " ".join(instructions("COPY"))
    for needed in ("requirements.txt", "app", "wsgi.py", "gunicorn.conf.py"):
        assert needed in copied


def test_compose_runs_the_gateway_and_a_demo_sandbox() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    gateway, sandbox = compose["services"]["gateway"], compose["services"]["sandbox"]
    assert "ENCRYPTION_KEY" in gateway["environment"] and gateway["read_only"] is True
    assert any("/ready" in part for part in gateway["healthcheck"]["test"])
    assert {"LOG_FORMAT", "METRICS_ENABLED"} <= gateway["environment"].keys()
    assert sandbox["profiles"] == ["demo"] and "sandbox" in sandbox["entrypoint"]


def test_env_example_lists_only_variables_compose_passes_on() -> None:
    compose_text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    names = re.findall(r"^([A-Z_]+)=", example, re.MULTILINE)
    assert "ENCRYPTION_KEY" in names
    for name in names:
        assert "${" + name in compose_text, f"{name} in .env.example is not used by docker-compose.yml"
