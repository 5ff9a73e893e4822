from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A council or other public body that runs services on Waymark."""

    name = models.CharField(_("name"), max_length=200)
    name_cy = models.CharField(_("name in Welsh"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the language of the current request (Welsh when there is one)."""
        if get_language() == "cy" and self.name_cy:
            return self.name_cy
        return self.name
