"""No password, API key or encryption key appears in any log line or response."""

from __future__ import annotations

from tests.conftest import SECRET


def test_secrets_never_leak_into_logs_or_answers(api, gateway_logs) -> None:
    bodies: list[str] = []

    def keep(response):
        bodies.append(response.get_data(as_text=True) + str(dict(response.headers)))
        return response

    minted = api.generate(scope="res.partner:RW,*:R")
    key = minted.json["api_key"]
    bodies.append(str({k: v for k, v in minted.json.items() if k != "api_key"}))
    keep(api.call(key, "search_read", model="res.partner", limit=3))
    keep(api.call(key, "create", model="res.partner", values={"email": "x"}))  # 422
    keep(api.call(key, "unlink", model="res.partner", ids=[1]))  # 403 scope
    keep(api.call(key[:-5], "search", model="res.partner"))  # 401 tampered
    keep(api.client.post("/auth/validate", json={"api_key": key}))
    keep(api.generate(password="wrong-password-123"))
    keep(api.generate(url="http://admin:admin-password@odoo.test"))
    api.odoo.set_password("demo", "admin", "new-password-456")
    keep(api.call(key, "search", model="res.partner"))  # 401 after password change
    api.odoo.go_down()
    keep(api.call(key, "search", model="res.partner"))
    api.odoo.come_back()
    # The logger itself must redact even when code logs a secret by mistake.
    import logging
    logging.getLogger("odoo_gateway").error("leaked key %s", key)

    secrets = [key, key[:-5], SECRET.decode(), "admin-password", "wrong-password-123",
               "new-password-456"]
    everything = "\n".join(gateway_logs + bodies)
    assert gateway_logs and "[REDACTED]" in everything
    for secret in secrets:
        assert secret not in everything
    assert '"admin"' not in "".join(b for b in bodies if '"password"' in b)


def test_odoo_api_key_never_leaks_over_json2(api, gateway_logs) -> None:
    from tests.conftest import ADMIN_API_KEY

    api.odoo.version = "19.0"
    bodies = [str(api.generate(password=ADMIN_API_KEY, transport="json2").json)]
    key = api.key(password=ADMIN_API_KEY, transport="json2", scope="*:RX")
    for arguments in ({"model": "res.partner", "domain": [["nofield", "=", 1]]}, {"model": "no.model"}):
        bodies.append(api.call(key, "search", **arguments).get_data(as_text=True))
    bodies.append(api.call(key, "call", model="res.partner", method="nope").get_data(as_text=True))
    bodies.append(api.generate(password="wrong-api-key-789", transport="json2").get_data(as_text=True))
    everything = "\n".join(gateway_logs + bodies)
    assert "error" in everything
    for secret in (ADMIN_API_KEY, "wrong-api-key-789", "Traceback", "bearer"):
        assert secret not in everything
