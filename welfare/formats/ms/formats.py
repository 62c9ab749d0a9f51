"""Bahasa Melayu: the same Malaysian formats as Malaysian English (one date style
in both languages); the month names and PAGI/MALAM come from Django's own ms
catalogue."""

from welfare.formats.en.formats import *  # noqa: F403 (a format module is read by its names)
