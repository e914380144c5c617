"""Hypothesis against the JSON API's write: POST /api/v1/plans/{id}/transitions with hostile
bodies (wrong types, huge or control-character text, unknown fields, missing version). Never a
5xx; every refusal is JSON of the stable shape naming the problem; a refused request saves
nothing. (Schemathesis, in tests/db/test_api_schema.py, fuzzes every operation against the
OpenAPI document; this test adds the "nothing saved" check on the write that matters most.)"""

from __future__ import annotations

import json
import os

from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.security.test_fuzz_forms import changed_tables, saved_state

TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),  # control characters
    st.just("x" * 100_000),
    st.just("<script>alert(1)</script>"),
)
VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
BODY = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "trigger": st.one_of(st.sampled_from(["submit", "forward", "return", "x"]), VALUE),
            "comment": VALUE,
            "version": VALUE,
            "extra": VALUE,
        },
    ),
    VALUE,  # not an object at all
)

API_SETTINGS = settings(
    max_examples=int(os.environ.get("WORKFLOW_APP_FUZZ_EXAMPLES", "25")),
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_a_hostile_transition_body_is_refused_in_json_and_saves_nothing(
    app_ctx: Flask, users: dict
) -> None:
    plan = factories.plan_in_state(users, "district_review")
    secret = factories.api_token(users["reviewer"])
    client = app_ctx.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    @API_SETTINGS
    @given(body=BODY)
    def post(body: object) -> None:
        before = saved_state()
        response = client.post(
            f"/api/v1/plans/{plan.id}/transitions", data=json.dumps(body), headers=headers
        )
        assert response.status_code < 500, response.get_data(as_text=True)[:300]
        if response.status_code >= 400:
            error = response.get_json()
            assert error["code"] and error["message"], error
            assert not changed_tables(before, saved_state()), body

    post()
