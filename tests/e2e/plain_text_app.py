"""A tiny Streamlit app for tests/e2e/test_browser_markdown.py: shows each text of the JSON list in
$BEACON_PLAIN_CASES through ui.plain, in every kind of element that renders Markdown."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402

from ui import plain, say  # noqa: E402

for i, text in enumerate(json.loads(Path(os.environ["BEACON_PLAIN_CASES"]).read_text())):
    with st.container(key=f"case_{i}"):
        st.markdown(plain(text))
    say("warning", text)
    st.caption(plain(text))
    st.subheader(plain(text))
    with st.expander(plain(text)):
        st.write("inside")
st.container(key="done").write("All cases shown.")
