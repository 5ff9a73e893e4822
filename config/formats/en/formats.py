"""English dates the UK way wherever Django formats or reads one (the admin's lists,
read-only fields and date boxes): `2 December 2026, 13:30`, typed `02/12/2026`, day first.
Welsh uses Django's own Welsh formats, which are day first already."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"  # 2 December 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"  # 2 December 2026, 13:30
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
# ISO first (what the admin's own date widgets and the API send), then day first.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
