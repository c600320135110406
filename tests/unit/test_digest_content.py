"""The digest's sentence about the negative share: a change when both periods have stories, else why not."""

from core.digests.content import share_change


def test_the_share_change_reads_as_one_plain_sentence() -> None:
    assert share_change(0.67, 0.5, 2) == "+17 pp since the previous digest, which had 50% of 2"
    assert share_change(0.5, 0.5, 4) == "unchanged since the previous digest, which had 50% of 4"
    assert share_change(None, 0.5, 4) == "no stories in this period"
    assert share_change(0.3, None, 0) == "no stories in the previous digest's period to compare with"
    assert "(" not in share_change(None, None, 0)  # no nested brackets inside the digest's own "( … )"
