"""The data check on crafted files: each problem is named with its file, column and lines."""

from __future__ import annotations

import pandas as pd
import pytest

from core.recommend.data import RecommendFileError, check_data, read_table, suggest_mapping

ITEMS = b"product_id,name,genre\nA,Alpha shoes,shoes\nB,Beta boots,shoes\nC,Gamma hat,hats\nA,Alpha again,shoes\n"


def run(interactions: bytes, items: bytes = ITEMS):
    inter, cat = read_table(interactions, "clicks.csv"), read_table(items, "catalogue.csv")
    return check_data(inter, cat, suggest_mapping(inter, "interactions"), suggest_mapping(cat, "items"), "clicks.csv", "catalogue.csv")


def test_mapping_is_suggested_from_column_names():
    inter = read_table(b"customer_id;sku;stars;event_time\n1;A;5;2024-01-01\n", "x.csv")
    assert suggest_mapping(inter, "interactions") == {"user": "customer_id", "item": "sku", "rating": "stars", "event": None,
                                                      "timestamp": "event_time"}
    assert suggest_mapping(read_table(ITEMS), "items")["title"] == "name"
    assert suggest_mapping(read_table(ITEMS), "items")["category"] == "genre"


def test_unknown_items_duplicates_single_users_and_rating_scale_are_reported():
    check = run(b"user,item,rating\n"
                b"u1,A,5\n"   # line 2
                b"u1,B,4\n"   # line 3
                b"u1,B,4\n"   # line 4 exact repeat
                b"u2,Z,3\n"   # line 5 unknown item
                b"u2,A,x\n"   # line 6 rating not a number
                b"u2,C,1\n"   # line 7
                b"u3,A,2\n")  # line 8: u3 (and u2, after the check) have one interaction
    assert check.ok
    warnings = check.messages("warning")
    assert "catalogue.csv: 1 item appears twice in column 'product_id' (line 5); the first row is kept" in warnings
    assert "clicks.csv: 1 row repeats an earlier row exactly (line 4); the repeat is skipped" in warnings
    assert "clicks.csv: 1 row names an item that is not in the catalogue (line 5: item 'Z'); that row is skipped" in warnings
    assert ("clicks.csv: 1 rating in column 'rating' is not a number (line 6: 'x'); that row is skipped") in warnings
    single = "clicks.csv: 2 users have only one interaction (users 'u2', 'u3'); they are used for training but cannot be evaluated"
    assert single in warnings
    infos = check.messages("info")
    assert any(m.startswith("clicks.csv: the ratings in column 'rating' range from 1 to 5 with 5 distinct values") for m in infos)
    assert "clicks.csv: no timestamp column, so the leave-last-out protocol is not available, only the random split" in infos
    assert check.stats["usable interactions"] == 4 and check.stats["users"] == 3
    assert check.stats["items without interactions"] == 0
    assert sorted(check.interactions["item"]) == ["A", "A", "B", "C"]


def test_counts_of_one_and_of_several_read_as_sentences():
    check = run(b"user,item,rating\n"
                b"u1,A,5\nu1,B,4\n"          # lines 2-3
                b"u2,Y,3\nu2,Z,3\n"          # lines 4-5 unknown items
                b"u2,A,x\nu2,C,-\n"          # lines 6-7 ratings not numbers
                b"u3,A,2\nu3,B,2\nu4,C,1\n")  # only u4 is left with one interaction
    warnings = check.messages("warning")
    assert ("clicks.csv: 2 rows name items that are not in the catalogue (lines 4, 5: items 'Y', 'Z'); those rows are skipped"
            in warnings)  # fmt: skip
    assert "clicks.csv: 2 ratings in column 'rating' are not numbers (lines 6, 7: 'x', '-'); those rows are skipped" in warnings
    assert ("clicks.csv: 1 user has only one interaction (user 'u4'); it is used for training but cannot be evaluated"
            in warnings)  # fmt: skip


def test_only_interactions_rated_at_least_the_minimum_count_when_one_is_given():
    inter, cat = read_table(b"user,item,rating\nu1,A,5\nu1,B,2\nu2,A,4\nu2,C,3.5\nu3,B,1\n"), read_table(ITEMS)
    check = check_data(inter, cat, suggest_mapping(inter, "interactions"), suggest_mapping(cat, "items"), "clicks.csv",
                       min_rating=3.5)  # fmt: skip
    assert ("clicks.csv: the ratings in column 'rating' range from 1 to 5 with 5 distinct values; interactions rated 3.5 or "
            "more count as relevant: 3 of 5 (the other 2 are left out)") in check.messages("info")  # fmt: skip
    assert sorted(zip(check.interactions["user"], check.interactions["item"])) == [("u1", "A"), ("u2", "A"), ("u2", "C")]
    assert check.stats["users"] == 2 and check.stats["relevant from rating"] == 3.5
    everything = run(b"user,item,rating\nu1,A,5\nu1,B,2\n")
    assert any(m.endswith("every interaction counts as relevant, whatever its rating (a 2 too)") for m in everything.messages("info"))
    assert everything.stats["usable interactions"] == 2 and everything.suggested_min_rating is None  # two values: no scale


def test_on_a_star_scale_counting_every_rating_suggests_where_liked_starts():
    """A 1-star rating counted as relevant makes a recommender learn, and be scored on, what users disliked."""
    from core.recommend.data import liked_from

    stars = run(b"user,item,rating\nu1,A,5\nu1,B,1\nu2,A,4\nu2,C,3\nu3,B,2\n")
    assert stars.suggested_min_rating == 4
    assert any(m.endswith("(a 1 too). To count only what users liked, count from 4: 2 of 5 interactions")
               for m in stars.messages("info"))  # fmt: skip
    assert (liked_from(0.5, 5, 10), liked_from(1, 10, 10)) == (4, 8)
    assert liked_from(0, 1, 2) is None and liked_from(1, 5000, 300) is None  # a like/dislike pair, play counts


def test_missing_required_column_is_an_error_that_names_the_field():
    inter = read_table(b"who,when\n1,2\n")
    cat = read_table(ITEMS)
    check = check_data(inter, cat, suggest_mapping(inter, "interactions"), suggest_mapping(cat, "items"), "clicks.csv")
    assert not check.ok
    assert ("clicks.csv: choose the column that holds the user (no column is named like user, userid, customer, "
            "customerid, …; columns are: who, when)") in check.messages("error")  # fmt: skip
    assert any(m.startswith("clicks.csv: choose the column that holds the item (") for m in check.messages("error"))


def test_no_known_item_at_all_is_an_error():
    check = run(b"user,item\nu1,X\nu2,Y\n")
    assert not check.ok
    assert "clicks.csv: no usable interactions are left after the check" in check.messages("error")


def test_unreadable_timestamps_and_empty_ids_name_their_lines():
    check = run(b"user,item,timestamp\nu1,A,1700000000\nu1,B,yesterday-ish\n,C,1700000001\nu2,A,1700000002\nu2,C,1700000003\n")
    warnings = check.messages("warning")
    assert "clicks.csv: 1 row has an empty user in column 'user' (line 4); that row is skipped" in warnings
    assert ("clicks.csv: 1 timestamp in column 'timestamp' cannot be read (line 3: 'yesterday-ish'); that row is skipped"
            in warnings)


def test_day_first_dates_keep_their_order_and_a_file_writing_both_orders_is_flagged():
    check = run(b"user,item,timestamp\nu1,A,28/02/2024\nu1,B,05/03/2024\nu2,A,06/03/2024 09:00\nu2,C,12/03/2024\n")
    when = pd.to_datetime(check.interactions["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert check.ok and when == ["2024-02-28 00:00", "2024-03-05 00:00", "2024-03-06 09:00", "2024-03-12 00:00"]  # not 1970, not 3 May
    assert "clicks.csv: dates in column 'timestamp' are read day-first, as line 2 shows ('28/02/2024'); 05/03/2024 is 5 March" in (
        check.messages("info"))
    check = run(b"user,item,timestamp\nu1,A,28/02/2024\nu1,B,02/28/2024\nu2,A,04/03/2024\nu2,C,12/03/2024\n")
    assert ("clicks.csv: column 'timestamp' writes dates day-first (line 2: '28/02/2024') and month-first (line 3: '02/28/2024'); dates "
            "that could be either, such as 05/03/2024, are read month-first (3 May): check the export") in check.messages("warning")


def test_rows_that_differ_in_a_column_not_used_are_no_exact_repeat_and_an_order_date_is_the_timestamp():
    check = run(b"customer;sku;ordered;channel\nu1;A;01/02/2024;web\nu1;A;01/02/2024;store\nu1;A;01/02/2024;store\nu1;B;03/02/2024;web\n")
    assert suggest_mapping(read_table(b"customer;sku;ordered\nu1;A;x\n", "x.csv"), "interactions")["timestamp"] == "ordered"
    assert "clicks.csv: 1 row repeats an earlier row exactly (line 4); the repeat is skipped" in check.messages("warning")
    assert any("1 row has the same user and item as a later row (line 2)" in m for m in check.messages("info"))


HEADER_ONLY = r"clicks.csv: the file has a header row \(user, item\) but no data rows below it"


@pytest.mark.parametrize("content, message", [(b"  \n", "clicks.csv: the file is empty"), (b"user,item\n", HEADER_ONLY)])
def test_unreadable_files_are_reported_by_name(content, message):
    with pytest.raises(RecommendFileError, match=message):
        read_table(content, "clicks.csv")


def test_a_catalogue_kept_in_excel_is_read_like_a_csv():
    from tests.unit.test_datacheck import workbook_bytes

    data = workbook_bytes([["sku", "name", "price"], ["s1", "Trail shoe", 89.5], ["s2", "Wool hat", None]])
    assert read_table(data, "catalogue.xlsx").to_dict("records") == [
        {"sku": "s1", "name": "Trail shoe", "price": "89.5"}, {"sku": "s2", "name": "Wool hat", "price": ""}]
    with pytest.raises(RecommendFileError, match="broken.xlsx: not a readable .xlsx workbook"):
        read_table(b"PK\x03\x04garbage", "broken.xlsx")
    with pytest.raises(RecommendFileError, match="the file has a header row .user, item. but no data rows below it"):
        read_table(workbook_bytes([["user", "item"]]), "none.xlsx")
