"""What each page shows and decides, one module per page (no streamlit, no UI-toolkit payloads here)."""
