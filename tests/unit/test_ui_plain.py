"""ui.plain: outside text made inert for Streamlit's Markdown (GitHub-flavoured, plus Streamlit's own
:color[...] / :material/...: / :emoji: syntax). Checked with a CommonMark parser here; the browser test
(tests/e2e/test_browser_markdown.py) checks what Streamlit itself renders."""

from __future__ import annotations

import html
import re

import pytest

from ui import plain

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed")

NASTY = [
    "403 Forbidden [Session expired - sign in again](https://evil.example/login)",
    "[Your session expired - sign in here](https://evil.example/login)",
    "see https://evil.example/login, HTTP://EVIL.EXAMPLE, www.evil.example and me@evil.example",
    "<https://evil.example/login> <b>bold</b> <script>alert(1)</script> &amp; &lt;i&gt; &#91;x&#93;",
    "![pixel](https://evil.example/p.png) [ref][1]\n\n[1]: https://evil.example/login",
    "# Heading\n## h2\n> quote\n- item\n+ item\n* item\n1. one\n2) two\n---\nSetext\n===\n    code block\n```\nfence\n```",
    "**bold** __bold__ *em* _em_ `code` ~~strike~~ $x^2$ $$y$$ | a | b |\n|---|---|\n| c | d |",
    ":red[red text] :material/home: :streamlit: :smile: Error:blue[x] (:orange)",
    "[x](javascript:alert(1)) [y]( https://evil.example/login ) [z](<https://evil.example/login>)",
    "line1\rline2\r\n# not a heading\r=== \\[escaped](https://evil.example/login) \\\\[twice](https://evil.example/login)",
]
ORDINARY = ["Feed 'Markets wire' added.", "snake_case_name.csv: 3 columns", "10:30 UTC, 5% down", "AT&T - Q3 (prelim.)!", ""]


def rendered(markdown: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u2060", "")


@pytest.mark.parametrize("text", NASTY + ORDINARY)
def test_plain_text_renders_as_one_paragraph_of_the_same_words(text):
    page = rendered(plain(text))
    assert set(re.findall(r"<(\w+)", page)) <= {"p"}, page  # no a, img, h1, em, code, pre, table, ul, blockquote...
    assert visible_text(page).split() == text.split()  # the same words; Markdown only joins lines


@pytest.mark.parametrize("text", NASTY)
def test_nothing_streamlit_links_or_styles_on_its_own_is_left(text):
    """GFM links bare http(s)://, www. and e-mail addresses after parsing (escapes do not stop it), and
    Streamlit reads :name[...] / :name: anywhere: an invisible word joiner breaks each of them."""
    text_node = html.unescape(re.sub(r"\\(.)", r"\1", plain(text)))  # the text Streamlit's plugins see
    assert not re.search(r"https?://|www\.|[-.\w+]@[-\w]", text_node, re.IGNORECASE), text_node
    assert not re.search(r":[a-z+-]", text_node, re.IGNORECASE), text_node


def test_ordinary_messages_keep_their_look():
    assert plain("Feed 'Markets wire' added.") == "Feed 'Markets wire' added."
    assert plain("snake_case_name.csv: 3 columns, 10:30 UTC") == "snake_case_name.csv: 3 columns, 10:30 UTC"
    assert plain("a [b](c)") == "a \\[b\\](c)"
    assert plain("x <b>") == "x &lt;b&gt;"
    assert plain("    indented") == "\u00a0\u00a0\u00a0\u00a0indented"
