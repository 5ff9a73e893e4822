"""English dates the UK way wherever Django formats or reads one (the admin's lists,
read-only fields and date boxes): `2 December 2026, 13:30`, typed `02/12/2026`, day first.
Welsh uses Django's own Welsh formats, which are day first already."""

DATE_FORMAT = "j F Y"  # 2 December 2026
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"  # 2 December 2026, 13:30
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
# ISO first (what the admin's own date widgets and the API send), then day first.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
