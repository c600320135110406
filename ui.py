"""Streamlit helpers shared by the pages (UI only; core/ never imports this)."""

import functools
import html
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.auth import current_actor
from core.scoring.reading import with_sheet_first, workbook_sheets
from core.settings import get_settings
from core.wording import capitalised

if TYPE_CHECKING:  # imported when called: the pages that do not draw charts stay light
    from core.views import financial_sentiment as views


def use_app_navigation() -> None:
    """Call first in every page. Opened by URL (e.g. an alert email link) on a fresh server,
    Streamlit's legacy pages/ folder mode runs the page file without streamlit_app.py (no sign-in,
    no migration, the wrong menu). Rerun it through the app's st.navigation instead; pages keep their
    url_path, so the user lands on the same page."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def example_download(kind: str, where=st) -> None:  # noqa: ANN001 - st or a column
    """A quiet download link for the example file ``kind`` (core.examples), shown next to an empty uploader so a new
    user sees the expected format and can try the page at once."""
    from core.examples import EXAMPLES, example_csv

    example = EXAMPLES[kind]
    where.download_button(f"{example.label} (CSV)", example_csv(kind), example.file_name, "text/csv", type="tertiary",
                          icon=":material/download:", key=f"example_{kind}", help="Download it, look at it, upload it here")


def may(role: str) -> bool:
    """Whether the signed-in user's role reaches ``role``: pages show viewers read-only views instead of forms
    that core would refuse (core still checks every action)."""
    actor = current_actor()
    return actor is not None and actor.can(role)


# Streamlit renders messages, captions, labels and headers as GitHub-flavoured Markdown. Outside text
# (feed names and errors, uploaded file names and cells, link parameters, user names, exception
# messages) must show as typed, never as a link, an image, a heading or HTML.
# An invisible word joiner after http / www / @ stops GFM turning a bare URL or e-mail address into a
# link; after a colon before a letter it stops Streamlit's :red[...] / :material/icon: / :emoji: syntax.
_WORD_JOINER = "\u2060"
_BARE_LINK = re.compile(r"(?i)https?(?=:)|www(?=\.)|@|:(?=[a-z+-])")
_ALWAYS = re.compile(r"([\\`*\[\]~$|])")  # links, images, code, emphasis, strike-through, maths, tables, :color[...]
_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # snake_case stays as is (no emphasis inside words)
_BLOCK_START = re.compile(r"(?m)^([ \t]*)([#+=-])")  # headings, lists, setext underlines, thematic breaks
_NUMBERED = re.compile(r"(?m)^([ \t]*\d+)([.)])")  # numbered lists
_INDENT = re.compile(r"(?m)^[ \t]+")  # four spaces would start a code block: keep the indent as no-break spaces


def plain(text: object) -> str:
    """``text`` made inert for Streamlit's Markdown: it shows as written, with nothing interpreted
    (no link, bare URL or e-mail link, image, HTML, heading, list, code, maths or emphasis). Use it
    for every piece of outside text put into a message, caption, label, header or spinner."""
    out = re.sub(r"\r\n?", "\n", str(text))
    out = _BARE_LINK.sub(lambda m: m.group() + _WORD_JOINER, out)
    out = html.escape(out, quote=False)  # raw HTML, <autolinks> and &entities; show as typed
    out = _ALWAYS.sub(r"\\\1", out)
    out = _LONE_UNDERSCORE.sub(r"\\_", out)
    out = _BLOCK_START.sub(r"\1\\\2", out)
    out = _NUMBERED.sub(r"\1\\\2", out)
    return _INDENT.sub(lambda m: "\u00a0" * len(m.group()), out)


def chart_labels(values: Iterable[object]) -> list[object]:
    """Class, intent and task names from uploads, HTML-escaped for a Plotly chart: Plotly renders tags such as
    ``<a href>`` and ``<b>`` in axis labels, legends and titles."""
    return [html.escape(v, quote=False) if isinstance(v, str) else v for v in values]


CONFUSION_COUNTS_SHOWN = 20  # labels up to which every cell of a confusion matrix shows its count (hover always does)


def confusion_chart(matrix, title: str, predicted: str = "Predicted label", true: str = "True label"):  # noqa: ANN001, ANN201 - DataFrame -> Figure
    """A confusion matrix (rows: the true labels, columns: the predicted ones) as a heat map with counts, the labels
    drawn as categories and made safe for Plotly."""
    import plotly.express as px

    matrix = matrix.set_axis(chart_labels(matrix.index), axis=0).set_axis(chart_labels(matrix.columns), axis=1)
    many = len(matrix) > CONFUSION_COUNTS_SHOWN  # e.g. 77 intents: counts in every cell would be an unreadable block
    heat = px.imshow(matrix, text_auto=not many, color_continuous_scale="Blues", labels={"x": predicted, "y": true, "color": "Rows"},
                     aspect="auto", height=max(450, 200 + 16 * len(matrix)))  # fmt: skip
    if many:  # every label named, small, instead of every other one
        heat.update_xaxes(tickangle=-60, tickfont_size=9, dtick=1).update_yaxes(tickfont_size=9, dtick=1)
    return heat.update_layout(title=title).update_xaxes(type="category", automargin=True).update_yaxes(type="category", automargin=True)


def say(level: str, text: str) -> None:
    """Show a message whose whole text may contain feed, file or user text: shown as plain text, never
    as Markdown or HTML (``st.error`` / ``st.warning`` / ``st.info`` / ``st.success``), starting with a capital
    (``core.wording.capitalised``: core's messages also follow "error: " on the command line)."""
    getattr(st, level)(plain(capitalised(text)))


def say_pending(key: str, level: str = "success"):  # noqa: ANN201 - whatever the action left
    """Say, once, the message an action left in session state under ``key`` before its rerun: a text (said at
    ``level``), a ``(level, text)`` pair, or an object with ``level`` and ``text``. Returns it (None when none)."""
    message = st.session_state.pop(key, None)
    if message is None or message == "":
        return message
    if isinstance(message, tuple):
        say(*message)
    elif isinstance(message, str):
        say(level, message)
    else:
        say(message.level, message.text)
    return message


class SheetUpload(io.BytesIO):
    """An uploaded workbook with the sheet the user picked moved to the front, where every reader looks: answers what
    the pages ask of an UploadedFile (its own ``file_id``, so what a page worked out for another sheet is redone)."""

    def __init__(self, data: bytes, name: str, file_id: str) -> None:
        super().__init__(data)
        self.name, self.file_id, self.size = name, file_id, len(data)


def pick_sheet(upload, key: str, where=st):  # noqa: ANN001, ANN201 - an UploadedFile, a KeptUpload or None; st or a column
    """Under the file uploader ``key``: a workbook with data on more than one sheet gets a **Sheet** picker (the largest
    sheet to start with: a cover sheet in front is small); one whose only data is on a later sheet reads that sheet and
    says so. Returns the upload as the page should read it (``core.scoring.reading.with_sheet_first``); any other file
    as it is."""
    if upload is None:
        return None
    found_key = f"_sheets:{upload.file_id}"
    if found_key not in st.session_state:  # worked out once per uploaded file
        st.session_state[found_key] = workbook_sheets(upload.getvalue(), upload.name)
    sheets = st.session_state[found_key]
    if sheets is None or not sheets.with_data:
        return upload  # not a workbook, or an empty one: the reader says so
    if len(sheets.with_data) == 1:
        sheet = sheets.with_data[0]
        if sheet != sheets.first:
            where.caption(plain(f"Reading the sheet {sheet!r}: the first sheet, {sheets.first!r}, is empty."))
    else:
        if st.session_state.get(f"{key}_sheet_of") != upload.file_id:  # a new workbook starts at its largest sheet
            st.session_state[f"{key}_sheet_of"] = upload.file_id
            st.session_state.pop(f"{key}_sheet", None)
        keep_choice(f"{key}_sheet", sheets.with_data, sheets.largest)
        sheet = where.selectbox("Sheet", sheets.with_data, key=f"{key}_sheet", persist_state=KEPT,
                                help=f"{upload.name} has data on {len(sheets.with_data)} sheets; the one picked is read "
                                     f"(at first the largest, {sheets.largest!r}).")  # fmt: skip
    if sheet == sheets.first:
        return upload
    made_key, wanted = f"_sheet_first:{key}", f"{upload.file_id}:sheet:{sheet}"
    made = st.session_state.get(made_key)
    if made is None or made.file_id != wanted:
        try:
            data = with_sheet_first(upload.getvalue(), sheet)
        except (ValueError, KeyError, zipfile.BadZipFile) as exc:  # a workbook whose sheet list is not as Excel writes it
            where.warning(plain(f"{upload.name}: the sheet {sheet!r} could not be picked ({exc}); the first sheet is read."))
            return upload
        made = st.session_state[made_key] = SheetUpload(data, upload.name, wanted)
    made.seek(0)
    return made


RUN_NUMBER = "_script_run"  # counts the script runs of this session (streamlit_app.py), so an uploader knows whether
# it was on screen in the run before


def count_run() -> None:
    """Once per script run (streamlit_app.py): the run number ``tab_upload`` compares with."""
    st.session_state[RUN_NUMBER] = st.session_state.get(RUN_NUMBER, 0) + 1


@dataclass(frozen=True)
class KeptUpload:
    """A file uploaded on a tab that was left since: its uploader forgot it (only the open tab's widgets exist), the
    page did not. Answers what the pages ask of an UploadedFile."""

    name: str
    file_id: str
    data: bytes

    def getvalue(self) -> bytes:
        return self.data


def tab_upload(label: str, key: str, where=st, **options):  # noqa: ANN001, ANN201 - st or a column; an UploadedFile, a KeptUpload or None
    """``st.file_uploader`` on a tab: only the open tab runs, so leaving the tab drops the uploader and the file in it,
    and with it whatever the tab showed for that file. This keeps the file: back on the tab, the page goes on with it
    and says so (a new upload replaces it; "Forget it" or the uploader's own remove button drops it)."""
    options.setdefault("max_upload_size", get_settings().upload_limit_mb)  # BEACON_UPLOAD_MAX_MB, said by the uploader and kept to
    upload = where.file_uploader(label, key=key, **options)
    kept_key, run = _kept_key(key), st.session_state.get(RUN_NUMBER, 0)
    removed = st.session_state.get(f"_shown:{key}") == (run - 1, True)  # a file in it the run before, none now: its ✕
    st.session_state[f"_shown:{key}"] = (run, upload is not None)
    if upload is not None:
        if getattr(st.session_state.get(kept_key), "file_id", None) != upload.file_id:  # copied once per upload
            st.session_state[kept_key] = KeptUpload(upload.name, upload.file_id, upload.getvalue())
        return upload
    kept = st.session_state.get(kept_key)
    if kept is None or removed:
        st.session_state.pop(kept_key, None)
        return None
    line = where.container(horizontal=True, vertical_alignment="center")
    line.caption(plain(f"Still using {kept.name}, uploaded earlier; upload another file to replace it."))
    if line.button("Forget it", key=f"{key}_forget"):
        st.session_state.pop(kept_key, None)
        st.rerun()
    return kept


def holds_upload(key: str) -> bool:
    """Whether the ``tab_upload`` of ``key`` has a file, in it or kept from an earlier visit to its tab."""
    return bool(st.session_state.get(key)) or _kept_key(key) in st.session_state


def _kept_key(key: str) -> str:
    """Where ``tab_upload`` keeps the file of the uploader ``key``."""
    return f"_kept_upload:{key}"


KEPT = "session"  # persist_state of every choice on a tab: only the open tab's widgets exist, so without it a choice (a
# column mapping, a knowledge base, a threshold) starts over when the user comes back from another tab, while what the
# tab shows (a kept upload, its results) still follows the old choice


MISSING = "–"  # what a table shows for a missing value (Streamlit's default is the word "None")


def table(data, **options):  # noqa: ANN001, ANN201 - what st.dataframe takes and returns
    """Every table of the pages: ``st.dataframe`` with missing values shown as a dash, not "None"."""
    return st.dataframe(data, **({"placeholder": MISSING} | options))


TAB_PARAM = "tab"  # every page's open tab is in its address under this name: /model_studio?tab=Runs


def page_tabs(labels: Sequence[str], old_param: str | None = None) -> Sequence:
    """The page's tabs, the open one kept in the address as ``?tab=…`` so a link or a reload opens it again.
    ``old_param``: the name an earlier Beacon gave that parameter on this page (``?studio=Runs``), still read so
    saved links keep opening their tab."""
    if old_param and old_param in st.query_params:
        old = st.query_params.pop(old_param)
        if labels and old in labels and TAB_PARAM not in st.query_params:
            st.query_params[TAB_PARAM] = st.session_state[TAB_PARAM] = old  # the tabs read their state, not the address
    return st.tabs(list(labels), key=TAB_PARAM, bind="query-params")


def draw_hidden(tab, *editors: Callable[[], None]) -> None:  # noqa: ANN001 - a tab of page_tabs
    """When ``tab`` is closed, draw its ``editors`` in it anyway (hidden). A form's unsaved fields live only in the
    browser and an editor left out of a run loses them: a user who typed a feed's URL or half a rule, looked at another
    tab and came back found the form empty. The rest of a closed tab is still not drawn."""
    if tab.open:
        return
    with tab:
        for draw in editors:
            draw()


def open_tab(name: str) -> None:
    """A button's callback that opens the page's tab ``name`` (the tabs of ``page_tabs`` read their state)."""
    st.session_state[TAB_PARAM] = name


def keep_choice(key: str, choices: Sequence, start: object = None) -> None:
    """Before the picker ``key`` is drawn: a stored choice that is no longer among ``choices`` (deleted since, or
    another task's) becomes ``start`` (when it is a choice) or the first choice. It is set, not dropped: a dropped
    value leaves the browser showing the old one while the page acts on the first. A callable ``start`` is asked
    only then (a query the reruns that keep the choice need not make)."""
    if choices and st.session_state.get(key) not in choices:
        start = start() if callable(start) else start
        st.session_state[key] = start if start in choices else choices[0]


def follow_suggestion(key: str, suggestion: object) -> None:
    """Before the widget ``key`` is drawn with ``suggestion`` as its value (a text field's default, a picker's start): a
    widget still holding the suggestion it was last drawn with (not edited or picked by the user) takes the new one. A
    kept widget otherwise ignores its new default (a group's suggested question, which changes once another knowledge
    base is picked), while the user's own edit or pick stays."""
    state, shown = st.session_state, f"{key}__suggested"
    if key in state and state[key] == state.get(shown, state[key]) and state[key] != suggestion:
        state[key] = suggestion
    state[shown] = suggestion


def suggest_again(key: str) -> None:
    """In a callback, once what the widget ``key`` holds has been used (an FAQ entry added with its question): on the next
    run it takes the new suggestion (``follow_suggestion``), even where the user had typed their own words. Removing the
    key would not do: a widget kept with ``persist_state`` comes back with its old value."""
    st.session_state[f"{key}__suggested"] = st.session_state.get(key)


def delete_after_confirmation(key: str, label: str, question: str, delete: Callable[[], str], said_after: str) -> None:
    """A **label** button ("Delete this run…") that asks ``question``; on **Yes, delete** it calls ``delete()``, keeps
    what it returns to be said after the rerun under ``said_after`` (``say_pending``) and reruns. A refusal (the run
    started again, another analyst's, gone already) is said here."""
    asked = f"{key}_asked"
    if st.button(label, key=f"{key}_ask"):
        st.session_state[asked] = True
    if not st.session_state.get(asked) or not confirm_deletion(asked, question):
        return
    try:
        st.session_state[said_after] = ("success", delete())
    except (ValueError, LookupError, PermissionError) as exc:
        say("error", str(exc))
        return
    st.rerun()


def confirm_deletion(state_key: str, question: str) -> bool:
    """A pending deletion (``state_key`` set in session state) asked in a bordered box: **Yes, delete** clears the
    pending state and returns True (the caller deletes, says so and reruns); **Cancel** clears it and reruns."""
    with st.container(border=True):
        say("warning", question)
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button("Yes, delete", type="primary", key=f"{state_key}_yes"):
            st.session_state.pop(state_key, None)
            return True
        if no.button("Cancel", key=f"{state_key}_no"):
            st.session_state.pop(state_key, None)
            st.rerun()
    return False


def count_column(label: str, **options):  # noqa: ANN201 - a streamlit column config
    """A table column of counts, grouped by thousands ("100,836 rows", not "100836")."""
    return st.column_config.NumberColumn(label, format="localized", **options)


def count_tick(largest: float) -> int | None:
    """The tick step of a chart axis of counts (questions, tickets, rows, stories): 1 while the counts are small (no
    0.5 ticket), else Plotly's own choice (None)."""
    return 1 if largest <= 8 else None


# How a news item (Article) is shown in a table, wherever items are listed (Financial sentiment, an alert's items).
ARTICLE_COLUMNS = {
    "published_at": st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm"),
    "title": st.column_config.TextColumn("Title", width="large"),
    "link": st.column_config.LinkColumn("Source", display_text="open ↗", width="small"),
    "sources": st.column_config.NumberColumn("Sources", help="Reported by this many feeds (the item's story)", format="%d"),
    "sentiment": st.column_config.TextColumn("Sentiment"),
    "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
    "prob_negative": st.column_config.ProgressColumn("P(negative)", min_value=0.0, max_value=1.0, format="%.2f"),
    "topic": st.column_config.TextColumn("Topic"),
    "companies": st.column_config.TextColumn("Companies"),
    "feed": st.column_config.TextColumn("Feed"),
    "corrected": st.column_config.TextColumn("Corrected", help="A reviewer changed a label; the confidence columns stay the model's"),
}


def open_for_editing(picker_key: str, name: str) -> None:
    """After a "New ..." form saved ``name``: rerun with it picked in the picker keyed ``picker_key`` (see
    ``picked_after_save``), so the form now edits it and a second Save changes it."""
    st.session_state[f"{picker_key}_saved"] = name.strip()
    st.rerun()


def picked_after_save(picker_key: str, names: Iterable[str]) -> str | None:
    """Call before drawing the picker: the name ``open_for_editing`` saved, now picked (once), for the page to say it
    was saved; None otherwise."""
    saved = st.session_state.pop(f"{picker_key}_saved", None)
    if saved not in set(names):
        return None
    st.session_state[picker_key] = saved
    return saved


def _first_custom_data(points: Sequence[Mapping] | None) -> Iterator[tuple[object, object]]:
    """(first custom value, bucket key) of each clicked Plotly point (``event.selection.points``); the
    charts carry the bucket key as their second custom value, else the point's x is used."""
    for point in points or ():
        data = point.get("customdata") or []
        if data:
            yield data[0], data[1] if len(data) > 1 else point.get("x", "")


def drill_from_trend_point(points: Sequence[Mapping] | None) -> "views.Drill | None":
    """The first clicked point of the trend line chart (custom data: group, bucket_key)."""
    from core.views import financial_sentiment as views

    return next((d for group, key in _first_custom_data(points) if (d := views.drill_at(group, key))), None)


def drill_from_count_point(points: Sequence[Mapping] | None) -> "views.Drill | None":
    """The first clicked bar of the sentiment count chart (custom data: sentiment, bucket_key)."""
    from core.views import financial_sentiment as views

    return next((d for sentiment, key in _first_custom_data(points) if (d := views.sentiment_drill_at(sentiment, key))), None)


THIN_INTERVAL = "rgba(128, 128, 128, 0.35)"


PARTIAL_OPACITY = 0.4


def show_failure(exc: Exception) -> None:
    """A failure nobody foresaw, inside an ``except``: one plain message on the page, the traceback (paths, SQL) in the
    app's log only."""
    from core.views.app import page_problem

    logging.getLogger("beacon.app").exception("a page failed: %s", exc)
    st.error(plain(page_problem(exc)))


def failing_plainly(func: Callable) -> Callable:
    """``show_failure`` for a part of a page that reruns on its own (an ``st.fragment``), which the app's catch around
    the whole page does not see."""

    @functools.wraps(func)
    def run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - whatever the fragment takes
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            show_failure(exc)
            return None

    return run


def draw_partial_periods_lighter(figure, partial: Iterable[object]) -> None:  # noqa: ANN001 - a Plotly bar chart over time
    """Bars of the periods the data covers only in part (an export's first or last week, today so far) drawn lighter,
    so a short period does not read as a drop."""
    import pandas as pd

    lighter = {pd.Timestamp(period) for period in partial}
    figure.for_each_trace(lambda bars: bars.update(marker_opacity=[PARTIAL_OPACITY if pd.Timestamp(x) in lighter else 1.0
                                                                   for x in bars.x]))  # fmt: skip


def draw_thin_points_apart(figure) -> None:  # noqa: ANN001 - a Plotly figure of the trend chart
    """Lines join only the buckets with enough items: a thin bucket (custom data ``thin``, third) leaves a gap in its
    series' line, and is drawn as a hollow, faded marker of the same colour in a trace of its own (same legend group,
    hover, interval and custom data, so a click on it still drills down). A line from 0 % up to a one-item 100 %
    and back read as a swing however the point was drawn."""
    from core.views import financial_sentiment as views

    apart = []
    for trace in figure.data:
        thin = [bool(row[2]) for row in trace.customdata]
        trace.update(marker=views.marker_styles(thin))
        if not any(thin):
            continue
        ys = list(trace.y)
        ghost = type(trace)(trace)
        ghost.update(y=[y if t else None for y, t in zip(ys, thin, strict=True)], mode="markers", showlegend=False)
        if ghost.error_y.array is not None:  # a light grey interval, not a bold bar (the theme recolours the series)
            ghost.update(error_y={"color": THIN_INTERVAL})
        trace.update(y=[None if t else y for y, t in zip(ys, thin, strict=True)])
        apart.append(ghost)
    figure.add_traces(apart)

