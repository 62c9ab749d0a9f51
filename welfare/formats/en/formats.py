"""Malaysian English: day before month, as government letters and forms write dates.
Bahasa Melayu uses this module too (welfare/formats/ms).

Numbers keep the comma for thousands and the point for decimals (RM 1,234.50) in both
languages. USE_THOUSAND_SEPARATOR stays off: it would print years and ids as "2,026";
templates group the figures that need it with `intcomma` or `floatformat:"2g"`.
"""

# One date style on every page, in messages and in imported files: 25/10/2026.
# Templates print dates with a bare `|date` (and times with "DATETIME_FORMAT").
DATE_FORMAT = "d/m/Y"  # 25/10/2026
DATETIME_FORMAT = "d/m/Y g:i A"  # 25/10/2026 2:30 PM
TIME_FORMAT = "g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"  # 25/10/2026
SHORT_DATETIME_FORMAT = "d/m/Y g:i A"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first format is what a date field shows: browsers' <input type="date"> need ISO.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
