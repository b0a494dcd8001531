"""Every write of the campaign tools, re-exported from the module that owns it (`from campaign import
services`): sources (partners' pledges), watch (fraud watch), removals (the public record), switches,
reminders, partners (and the campaign settings)."""

from __future__ import annotations

from campaign.partners import campaign_settings_save, partner_save
from campaign.reminders import ReminderDateInvalid, reminder_cancel, reminder_set, reminders_run
from campaign.removals import removals_watch
from campaign.sources import pledge_create_with_source
from campaign.switches import switch_set
from campaign.watch import watch_hold_concentrations, watch_run, watch_settle_confirmed

__all__ = [
    "ReminderDateInvalid",
    "campaign_settings_save",
    "partner_save",
    "pledge_create_with_source",
    "reminder_cancel",
    "reminder_set",
    "reminders_run",
    "removals_watch",
    "switch_set",
    "watch_hold_concentrations",
    "watch_run",
    "watch_settle_confirmed",
]
