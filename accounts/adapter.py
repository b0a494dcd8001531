"""allauth's account adapter, adjusted for the organisers' first sign-in (issue 13: at most four screens
from /admin/ to the admin: sign in, set up the authenticator, save the recovery codes, the admin)."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records

from accounts.links import AccountAdapter as SiteUrlAccountAdapter
from accounts.selectors import staff_has_totp

# A password typed this recently is fresh enough to set up a *first* authenticator without typing it again.
FRESH_SIGN_IN_SECONDS = 300


class AccountAdapter(SiteUrlAccountAdapter):
    """ACCOUNT_ADAPTER: accounts.links' adapter (links from SITE_URL), plus the first-sign-in rule below."""

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Not for setting up the first authenticator right after signing in: the password was just given,
        and there is no second factor yet to protect. Every other sensitive change still asks."""
        request = self.request
        user = getattr(request, "user", None)
        if (
            app == "allauth.mfa"
            and user is not None
            and user.is_authenticated
            and not staff_has_totp(user=user)
            and any(
                time.time() - float(record.get("at", 0)) <= FRESH_SIGN_IN_SECONDS
                for record in get_authentication_records(request, user)
            )
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)
