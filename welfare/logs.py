"""No full MyKad in any log line: every log record, from any logger, has its
message (and the text of its exception) masked before a handler sees it. Django
logs the path of a refused request, and PostgreSQL names the duplicate key of a
unique MyKad in its error; both would otherwise write the number to the logs."""

import logging
import logging.config
import re

FULL_MYKAD = re.compile(r"(?<!\d)(\d{6})-?(\d{2})-?(\d{4})(?!\d)")


def mask_mykads(text):
    return FULL_MYKAD.sub(lambda match: f"******-**-{match[3]}", text)


def configure(logging_settings):
    """LOGGING_CONFIG: Django's dictConfig, then the masking record factory."""
    logging.config.dictConfig(logging_settings)
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_mykads", False):
        return

    def masked_record(*args, **kwargs):
        record = previous(*args, **kwargs)
        message = record.getMessage()
        if FULL_MYKAD.search(message):
            record.msg, record.args = mask_mykads(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = mask_mykads(logging.Formatter().formatException(record.exc_info))
        return record

    masked_record.masks_mykads = True
    logging.setLogRecordFactory(masked_record)
