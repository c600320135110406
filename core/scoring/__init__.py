"""Batch scoring of uploaded files: streaming reading (``reading``), the engine (``engine``),
runs outside the Streamlit script (``runs``) and Excel-safe CSV / Parquet output (``export``)."""

from core.scoring.reading import BadRow, InputFileError, InputSpec, inspect_input

__all__ = ["BadRow", "InputFileError", "InputSpec", "inspect_input"]
