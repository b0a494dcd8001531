from django.apps import AppConfig


class CampaignConfig(AppConfig):
    """What the best boycott campaigns offer beside the pledge itself: partners and their embeddable form,
    the fraud watch, the public record of removals, the pressure estimate, "I switched to" and renewal
    reminders. It owns its tables, so that pledges and tally keep theirs."""

    name = "campaign"
    verbose_name = "Campaign"
    default_auto_field = "django.db.models.BigAutoField"
