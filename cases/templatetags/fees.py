"""{% load fees %}: `{% blue_badge_fee organisation as fee %}` is what the council charges
for a Blue Badge, in pence (0 when it is free), and `fee|pounds` shows it as £10.00."""

from django import template

from cases.models import Organisation
from cases.portal.apply import blue_badge_fee_pence, pounds

register = template.Library()
register.filter("pounds", pounds)


@register.simple_tag
def blue_badge_fee(organisation: Organisation) -> int:
    return blue_badge_fee_pence(organisation)
