"""The pipeline's one named logger: paths read and written, row counts, rows excluded and why.

Statistical caveats a researcher must see go through ``warnings.warn`` instead, so that they
show in notebooks and can be turned into errors in tests.
"""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger("analysis")


def setup(level: int = logging.INFO) -> logging.Logger:
    """Send the pipeline logger to stderr once, with a compact format; return it."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                               "%H:%M:%S"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger
