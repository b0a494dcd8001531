"""Every write to pledges and supporters, re-exported from the module that owns it: views, admin actions,
tasks and commands import from here (`from pledges import services`).

The rules these modules keep:
- one pledge per kind per normalised mailbox (the database constraint decides; a conflict is a repeat);
- a blocked or honeypot submission is answered like any other and leaves no trace (the honeypot is
  checked by the view, `quitgpt.forms.HoneypotMixin`);
- a flood from one address is flagged `suspicious` (held out of the count), never refused;
- one submission owes at most one email; the email is sent by a task enqueued after commit, and a
  periodic sweep sends whatever the broker or a worker lost (quitgpt.optin);
- every change that may alter whether or how a supporter counts marks it `tally_dirty` in the same
  transaction; supporter rows are never deleted (the tally may have counted them): when no pledge is left,
  their key is anonymised instead.

Where the code lives:
- `pledges.supporters`: supporters, their private manage link, the tally's dirty mark;
- `pledges.abuse`: block lists and per-IP limits;
- `pledges.signing`: the submission, its email (and the sweep), confirmation and rejection;
- `pledges.privacy`: self-service, export, erasure and retention;
- `pledges.moderation`: organisers' moderation (audited) and bulk invalidation;
- `pledges.referrals`: visits through share codes.
"""

from __future__ import annotations

from pledges.abuse import _domain_candidates, count_submission, is_blocked
from pledges.moderation import (
    _jsonable,
    _moderate,
    invalidation_queryset,
    pledge_approve_wall,
    pledge_clear_suspicion,
    pledge_hide_wall,
    pledge_mark_duplicate,
    pledge_mark_spam,
    pledge_restore,
    pledges_invalidate,
)
from pledges.privacy import (
    _ANONYMOUS_PLEDGE,
    DETAIL_FIELDS,
    PENDING_LIFETIME,
    _iso,
    details_to_ask,
    pledge_undo_withdraw,
    pledge_withdraw,
    pledges_anonymise_all,
    pledges_purge_pending,
    supporter_erase,
    supporter_export,
    supporter_update,
)
from pledges.referrals import referral_visit_record
from pledges.signing import (
    SHARE_CODE_RE,
    SigningPaused,
    SubmissionResult,
    _absolute,
    _send_pledge_email,
    pledge_confirm,
    pledge_create,
    pledge_reject,
    pledge_send_email,
)
from pledges.supporters import (
    _anonymise_empty_supporters,
    _mark_dirty,
    _new_manage_fields,
    _supporter_for,
    manage_token_for,
)

__all__ = [
    "DETAIL_FIELDS",
    "PENDING_LIFETIME",
    "SHARE_CODE_RE",
    "_ANONYMOUS_PLEDGE",
    "SigningPaused",
    "SubmissionResult",
    "_absolute",
    "_anonymise_empty_supporters",
    "_domain_candidates",
    "_iso",
    "_jsonable",
    "_mark_dirty",
    "_moderate",
    "_new_manage_fields",
    "_send_pledge_email",
    "_supporter_for",
    "count_submission",
    "details_to_ask",
    "invalidation_queryset",
    "is_blocked",
    "manage_token_for",
    "pledge_approve_wall",
    "pledge_clear_suspicion",
    "pledge_confirm",
    "pledge_create",
    "pledge_hide_wall",
    "pledge_mark_duplicate",
    "pledge_mark_spam",
    "pledge_reject",
    "pledge_restore",
    "pledge_send_email",
    "pledge_undo_withdraw",
    "pledge_withdraw",
    "pledges_anonymise_all",
    "pledges_invalidate",
    "pledges_purge_pending",
    "referral_visit_record",
    "supporter_erase",
    "supporter_export",
    "supporter_update",
]
