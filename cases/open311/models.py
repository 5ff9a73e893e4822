"""What Waymark keeps of a street report made through Open311 (`cases.open311`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import ApiKey, Case, Organisation


class Open311Submission(models.Model):
    """A street report made through Open311: which council's key sent it, the client's own
    ID for it (FixMyStreet's `attribute[fixmystreet_id]`), and what else the client sent
    that the report's form has no field for. One report per key and `fixmystreet_id`:
    a client's retry of a report it already sent is answered with the first one's ID."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="open311", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("council")
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("API key")
    )
    fixmystreet_id = models.CharField(_("FixMyStreet ID"), max_length=100, blank=True)
    device_id = models.CharField(_("device ID"), max_length=200, blank=True)
    account_id = models.CharField(_("account ID"), max_length=200, blank=True)
    media_urls = models.JSONField(_("media URLs"), default=list, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Open311 submission")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "api_key", "fixmystreet_id"],
                condition=~models.Q(fixmystreet_id=""),
                name="one_case_per_fixmystreet_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} from {self.api_key_id} ({self.fixmystreet_id or 'no client ID'})"
