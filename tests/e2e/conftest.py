"""Browser fixtures, shared by every browser test file."""

from tests.support.browser import beacon, browser_page  # noqa: F401
