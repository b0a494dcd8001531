import pytest

from quitgpt.emails import normalise_email


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Jane.Doe+news@GoogleMail.com", "janedoe@gmail.com"),
        ("j.a.n.e@gmail.com", "jane@gmail.com"),
        ("  Someone+tag+more@Example.ORG ", "someone@example.org"),
        ("first.last@example.org", "first.last@example.org"),
        ("STRASSE@EXAMPLE.DE", "strasse@example.de"),
        ("user@bücher.example", "user@xn--bcher-kva.example"),
    ],
)
def test_it_normalises_addresses_to_one_key_per_mailbox(typed: str, normalised: str) -> None:
    assert normalise_email(typed) == normalised


@pytest.mark.parametrize("bad", ["", "no-at-sign", "@example.org", "user@", "+tag@example.org"])
def test_it_rejects_what_is_not_an_address(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_email(bad)
