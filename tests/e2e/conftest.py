"""Browser fixtures, shared by every browser test file."""

from tests.support.accurate_encoder import assembled_fixture, shared_accurate_encoder_fixture  # noqa: F401 - fixtures
from tests.support.browser import beacon, browser_page  # noqa: F401
