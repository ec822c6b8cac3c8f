"""OAuth across two replicas sharing Redis: each step on another replica, reuse caught on either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.cluster import Cluster, missing_binaries
from tests.conftest import SECRET
from tests.oauth_flow import REDIRECT, authorize_path, hidden_fields, pkce, query_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long,
    pytest.mark.skipif(bool(missing_binaries()),
                       reason=f"needs {' and '.join(missing_binaries())} on PATH "
                              "(.ci/run installs the redis-server and nginx packages)"),
]


@pytest.fixture
def cluster(odoo, tmp_path) -> Iterator[Cluster]:
    with Cluster(tmp_path, odoo.url, SECRET.decode(), workers=1,
                 env={"OAUTH_ENABLED": "true", "OAUTH_MAX_SCOPE": "*:R"}) as running:
        yield running


def _code(page_base: str, form_base: str, odoo_url: str) -> tuple[str, str, str]:
    """Register, open the page on one replica and submit it to another: client id, code, verifier."""
    client_id = requests.post(page_base + "/oauth/register", json={"redirect_uris": [REDIRECT]},
                              timeout=10).json()["client_id"]
    verifier, challenge = pkce()
    with requests.Session() as browser:
        page = browser.get(page_base + authorize_path(client_id, challenge), timeout=10)
        form = {**hidden_fields(page.text), "url": odoo_url, "database": "demo", "username": "admin",
                "password": "admin", "scope": "*:R"}
        signed_in = browser.post(form_base + authorize_path(client_id, challenge), data=form,
                                 allow_redirects=False, timeout=10)
    assert signed_in.status_code == 302, signed_in.text
    return client_id, query_of(signed_in.headers["Location"])["code"], verifier


def _token(base: str, **data: str) -> requests.Response:
    return requests.post(base + "/oauth/token", data=data, timeout=10)


def _refresh(base: str, client_id: str, token: str) -> requests.Response:
    return _token(base, grant_type="refresh_token", refresh_token=token, client_id=client_id)


def _status(base: str, key: str) -> str:
    return requests.post(base + "/auth/validate", json={"api_key": key}, timeout=10).json()["status"]


def test_a_code_reused_on_another_replica_revokes_the_sign_in(cluster: Cluster, odoo) -> None:
    one, two = (replica.url for replica in cluster.replicas)
    client_id, code, verifier = _code(two, one, odoo.url)
    exchange = {"grant_type": "authorization_code", "code": code, "client_id": client_id,
                "redirect_uri": REDIRECT, "code_verifier": verifier}
    tokens = _token(two, **exchange).json()
    assert _token(one, **exchange).status_code == 400
    refused = _refresh(one, client_id, tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert _status(two, tokens["access_token"]) == "key_revoked"


def test_a_refresh_token_reused_on_another_replica_revokes_the_chain(cluster: Cluster, odoo) -> None:
    one, two = (replica.url for replica in cluster.replicas)
    client_id, code, verifier = _code(one, two, odoo.url)
    first = _token(one, grant_type="authorization_code", code=code, client_id=client_id,
                   redirect_uri=REDIRECT, code_verifier=verifier).json()
    rotated = _refresh(two, client_id, first["refresh_token"])
    assert rotated.status_code == 200
    assert _status(one, rotated.json()["access_token"]) == "valid"
    reused = _refresh(one, client_id, first["refresh_token"])
    assert reused.status_code == 400
    assert _status(two, rotated.json()["access_token"]) == "key_revoked"
