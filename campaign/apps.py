from django.apps import AppConfig


class CampaignConfig(AppConfig):
    """What the best boycott campaigns offer beside the pledge itself: partners and their embeddable form,
    the fraud watch, the public record of removals, the pressure estimate, "I switched to" and renewal
    reminders. It owns its tables, so that pledges and tally keep theirs."""

    name = "campaign"
    verbose_name = "Campaign"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quitgpt import figures

        figures.provide("alternatives.switched", _switched)


def _switched() -> dict[str, int]:
    """Counted supporters per alternative they switched to, as the tally last published them."""
    from tally.selectors import tally_entry

    return tally_entry()["payload"].get("switched", {})
