"""{% load uk_dates %}: `value|long_date` (1 December 2026), `value|long_datetime`
(1 December 2026, 9:09pm) and `value|clock` (9:09pm)."""

from django import template

from cases import ukdates

register = template.Library()
register.filter("long_date", ukdates.long_date)
register.filter("long_datetime", ukdates.long_datetime)
register.filter("clock", ukdates.clock)
