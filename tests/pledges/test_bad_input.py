"""Bad input: a clear form error, or neutralised wherever it is shown; never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pledges.models import Pledge
from tests.pledges.conftest import FORM, make_pledge

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "not-an-address", "Enter a valid email address."),
        ("email", "a" * 250 + "@example.org", "Ensure this value has at most 254 characters"),
        ("email", "jane@exa mple.org", "Enter a valid email address."),
        ("email", "+tag@example.org", "Enter a valid email address."),
        ("email", "", "This field is required."),
        ("first_name", "J" * 51, "Ensure this value has at most 50 characters"),
        ("first_name", "Jane\x07", "characters we cannot show"),
        ("first_name", "Jane\u202eenaJ", "characters we cannot show"),
        ("first_name", "<script>alert(1)</script>", "without HTML"),
        ("first_name", "<b>Jane</b>", "without HTML"),
        ("first_name", "Visit https://spam.example", "without a link"),
        ("first_name", "www.spam.example", "without a link"),
        ("first_name", "cheap-pills.com", "without a link"),
        ("first_name", '=HYPERLINK("http://x")', "without a link"),
        ("first_name", "=1+2", "cannot start with"),
        ("first_name", "+33 Jane", "cannot start with"),
        ("first_name", "-Jane", "cannot start with"),
        ("first_name", "@jane", "without a link"),
        ("message", "m" * 281, "Ensure this value has at most 280 characters"),
        ("message", "hello\x00world", "Null characters are not allowed."),
        ("message", "<img src=x onerror=alert(1)>", "without HTML"),
        ("message", "bad \x1b[31m escape", "characters we cannot show"),
        ("country", "XX", "Select a valid choice."),
        ("country", "", "This field is required."),
        ("kinds", "everything", "Select a valid choice."),
    ],
)
def test_bad_input_gets_a_clear_form_error(sign, field, value, error) -> None:
    response = sign(**{field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert error.replace('"', "&quot;") in html or error in html
    assert not Pledge.objects.exists()


def test_no_kind_chosen_is_a_clear_error(client) -> None:
    data = {k: v for k, v in FORM.items() if k != "kinds"}
    response = client.post("/pledge/", data, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 400
    assert "Choose at least one." in response.content.decode()


def test_a_name_with_accents_apostrophes_and_hyphens_is_fine(sign) -> None:
    assert sign(first_name="Anne-Sophie O'Brien-Lefèvre")["Location"] == "/pledge/check-your-email/"
    assert Pledge.objects.get().supporter.first_name == "Anne-Sophie O'Brien-Lefèvre"


def test_a_message_is_shown_escaped_on_the_wall(client) -> None:
    make_pledge(
        status="confirmed",
        wall_consent=True,
        message_approved=True,
        first_name="Eve",
        message="5 > 3 & \"quotes\" 'single' =SUM(A1)",
    )
    html = client.get("/supporters/").content.decode()
    assert "5 &gt; 3 &amp; &quot;quotes&quot; &#x27;single&#x27; =SUM(A1)" in html


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    email=st.text(max_size=300),
    first_name=st.text(max_size=80),
    message=st.text(max_size=400),
    country=st.sampled_from(["FR", "XX", "", "fr", "\x00"]),
    kinds=st.lists(st.text(max_size=20), max_size=3),
)
def test_no_input_ever_yields_a_server_error(client, email, first_name, message, country, kinds) -> None:
    data = {**FORM, "email": email, "first_name": first_name, "message": message, "country": country}
    data["kinds"] = kinds
    response = client.post("/pledge/", data, HTTP_SEC_FETCH_SITE="same-origin", REMOTE_ADDR="192.0.2.200")
    assert response.status_code in (303, 400)


@pytest.mark.parametrize("path", ["/pledge/manage/" + "x" * 500 + "/", "/pledge/thanks/<x>/"])
def test_odd_links_are_not_errors(client, path) -> None:
    assert client.get(path).status_code == 404


def test_a_link_with_a_nul_byte_is_a_clear_400(client) -> None:
    response = client.get("/pledge/confirm/%00/")
    assert response.status_code == 400 and b"NUL character" in response.content
