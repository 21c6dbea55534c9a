"""Intranet benchmark: the Python package behind the study's notebooks.

Notebooks in ``notebooks/`` explain and show; the modules here compute. Each stage of the
DVC pipeline (see ``dvc.yaml``) is a notebook that calls into these modules.
"""

__version__ = "0.1.0"
