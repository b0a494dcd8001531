"""An RSVP's private cancel link, a pure function of the row (no writes): services put it in every email,
selectors check it. Below both, so that selectors never import services."""

from __future__ import annotations

from events.models import Rsvp
from quitgpt.tokens import keyed_token, keyed_token_matches

CANCEL_LINK_PURPOSE = "events.rsvp.cancel"


# --- the private cancel link ----------------------------------------------------------------------------
def _cancel_link_value(rsvp: Rsvp) -> str:
    return f"{rsvp.pk}:{rsvp.email_normalised}"


def rsvp_cancel_token(*, rsvp: Rsvp) -> str:
    """A stable keyed token (quitgpt.tokens): every email carries the same working cancel link, whatever
    was sent since."""
    return keyed_token(CANCEL_LINK_PURPOSE, _cancel_link_value(rsvp))


def rsvp_check_cancel_token(*, rsvp: Rsvp, token: str) -> bool:
    return keyed_token_matches(CANCEL_LINK_PURPOSE, _cancel_link_value(rsvp), token)
