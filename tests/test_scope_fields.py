"""Field rules in scopes (R[...], W[...]): grammar, canonical form and which fields they allow."""

from __future__ import annotations

import json

import pytest

from app.base.errors import ScopeInvalid
from app.core.access.scopes import Scope
from tests.oauth_flow import Flow, pkce


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("res.partner:R[name,email,phone,parent_id]", "res.partner:R[email,name,parent_id,phone]"),
        ("sale.order:RW[note]", "sale.order:RW[note]"),
        ("sale.order:R[*]W[note]", "sale.order:RW[note]"),  # R[*] is plain R
        ("sale.order:W[note]R", "sale.order:RW[note]"),
        ("hr.employee:r[-private_*]", "hr.employee:R[-private_*]"),
        ("hr.employee:R[ -b , -a ]", "hr.employee:R[-a,-b]"),
        (" res.partner : R[ name ]w[email]D ", "res.partner:R[name]W[email]D"),
        ("res.partner:R[x_*]X(address_get),*:R", "res.partner:R[x_*]X(address_get),*:R"),
        ("sale.*:R[name],*:R[-c*]", "sale.*:R[name],*:R[-c*]"),
        ("res.partner:R[Name]", "res.partner:R[Name]"),  # field names keep their case
        ("res.partner:RW[*]", "res.partner:RW"),
    ],
)
def test_canonical_form_of_field_rules(text: str, canonical: str) -> None:
    assert str(Scope.parse(text)) == canonical
    assert str(Scope.parse(canonical)) == canonical


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("res.partner:R[]", "bad field pattern ''"),
        ("res.partner:R[name,]", "bad field pattern ''"),
        ("res.partner:R[a.b]", "'a.b'"),
        ("res.partner:R[a b]", "'a b'"),
        ("res.partner:R[name,-email]", "mixes allowed and denied"),
        ("res.partner:R[name,name]", "twice"),
        ("res.partner:R[-*]", "'-*' hides every field"),
        ("res.partner:R[*,name]", "name no others"),
        ("res.partner:D[name]", "only R and W take a field list"),
        ("res.partner:X(a)[name]", "only R and W take a field list"),
        ("res.partner:[name]", "only R and W take a field list"),
        ("res.partner:R[a]R[b]", "repeats a letter"),
        ("res.partner:R[a]R", "repeats a letter"),
        ("res.partner:R[name", "unclosed '['"),
        ("res.partner:R]name[", "unbalanced"),
        ("res.partner:R[a[b]]", "nested"),
        ("res.partner:R[a],res.partner:W", "twice"),
        ("res.partner:R[1abc]", "'1abc'"),
        ("res.partner:R [name]", "right after the letter"),  # no space between a letter and its list
    ],
)
def test_bad_field_rules_are_refused(text: str, named: str) -> None:
    with pytest.raises(ScopeInvalid) as caught:
        Scope.parse(text)
    assert named in caught.value.message
    assert caught.value.http_status == 400 and caught.value.code == "scope_invalid"


SCOPE = "res.partner:R[name,email,x_*]W[-list_price,-x_secret],hr.*:R[-private_*],product.*:W,*:R"


@pytest.mark.parametrize(
    ("model", "field", "readable", "writable"),
    [
        ("res.partner", "name", True, True),
        ("res.partner", "email", True, True),
        ("res.partner", "x_rank", True, True),  # wildcard in an allow list
        ("res.partner", "x_secret", True, False),  # deny list of W
        ("res.partner", "list_price", False, False),
        ("res.partner", "city", False, True),  # W's deny list lets it write what R hides
        ("res.partner", "id", True, False),  # id is always readable, never written
        ("hr.employee", "private_email", False, False),
        ("hr.employee", "name", True, False),
        ("hr.employee", "id", True, False),
        ("product.product", "name", False, True),  # W without R reads nothing
        ("sale.order", "amount_total", True, False),
    ],
)
def test_which_fields_a_scope_allows(model: str, field: str, readable: bool, writable: bool) -> None:
    grant = Scope.parse(SCOPE).grant_for(model)
    assert grant.readable(field) is readable
    assert grant.writable(field) is writable


@pytest.mark.parametrize(
    ("text", "restricted"),
    [("res.partner:RWD,*:R", False), ("res.partner:R[name],*:R", True),
     ("*:RW[-x_*]", True), ("res.partner:R[*]", False), ("sale.order:X(a)", False)],
)
def test_a_scope_is_field_restricted_when_any_entry_has_rules(text: str, restricted: bool) -> None:
    assert Scope.parse(text).field_restricted is restricted


def test_field_rules_are_shown_per_entry() -> None:
    assert Scope.parse(SCOPE).field_rules() == [
        {"model": "res.partner", "read": {"allow": ["email", "name", "x_*"]},
         "write": {"deny": ["list_price", "x_secret"]}},
        {"model": "hr.*", "read": {"deny": ["private_*"]}},
    ]


FIELDED = "res.partner:r[phone,name]W[-comment],*:R"
SHOWN = [{"model": "res.partner", "read": {"allow": ["name", "phone"]},
          "write": {"deny": ["comment"]}}]


def test_minting_and_validating_show_the_canonical_field_rules(api) -> None:
    minted = api.generate(scope=FIELDED).json
    assert minted["scope"] == "res.partner:R[name,phone]W[-comment],*:R"
    assert minted["field_rules"] == SHOWN
    shown = api.client.post("/auth/validate", json={"api_key": minted["api_key"]}).json
    assert shown["credentials"]["scope"] == minted["scope"] and shown["field_rules"] == SHOWN
    plain = api.client.post("/auth/validate", json={"api_key": api.key(scope="*:R")}).json
    assert "field_rules" not in plain  # keys without field rules keep their answer's shape


@pytest.mark.parametrize(("scope", "named"), [
    ("res.partner:R[name,-email]", "mixes allowed and denied"),
    ("res.partner:R[name", "unclosed"),
    ("res.partner:D[name]", "only R and W"),
])
def test_minting_refuses_bad_field_lists_before_asking_odoo(api, scope: str, named: str) -> None:
    response = api.generate(scope=scope)
    assert response.status_code == 400 and response.json["status"] == "scope_invalid"
    assert named in response.json["error"]
    assert api.odoo.calls == []


def test_the_key_cli_shows_the_field_rules(app) -> None:
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["keys", "issue", "--url", "http://odoo.test", "--database", "demo",
                                 "--username", "bot", "--scope", FIELDED],
                           env={"ODOO_PASSWORD": "pw-123456"})
    assert issued.exit_code == 0, issued.output
    key = json.loads(issued.output)["api_key"]
    shown = json.loads(runner.invoke(args=["keys", "inspect", key]).output)
    assert shown["credentials"]["scope"] == "res.partner:R[name,phone]W[-comment],*:R"
    assert shown["field_rules"] == SHOWN


@pytest.mark.parametrize(("scope", "granted"), [
    ("res.partner:R[name]", True),
    ("res.partner:R[email,name],*:", True),
    ("res.partner:R", False),  # every field of a model the maximum restricts
    ("res.partner:R[name,phone]", False),
    ("res.partner:R[-comment]", False),
])
def test_oauth_grants_field_rules_only_within_its_maximum(make_app, odoo, tmp_path, scope: str,
                                                           granted: bool) -> None:
    app = make_app(oauth_enabled=True, oauth_max_scope="res.partner:R[name,email],*:R",
                   oauth_db=str(tmp_path / "oauth.sqlite3"), revocation_db=str(tmp_path / "revoked.sqlite3"))
    flow = Flow(app.test_client(), odoo.url)
    odoo.clear_calls()
    answer = flow.sign_in(flow.register(), pkce()[1], scope)
    assert answer.status_code == (302 if granted else 400)
    if not granted:
        assert "OAUTH_MAX_SCOPE" in answer.get_data(as_text=True) and odoo.calls == []
