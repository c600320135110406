"""Batch scoring: upload a file, pick the text column and tasks, score it in a background process, follow it, see
per-class charts, the agreement with labels the file already had and the lowest-confidence rows, download CSV/Parquet.
UI only: every decision, query and file operation lives in core.scoring and core.views.batch_scoring."""

import plotly.express as px
import streamlit as st

from core.scoring import runs
from core.scoring.agreement import disagreements, label_agreements, review_file
from core.scoring.reading import InputFileError
from core.settings import get_settings
from core.staged_uploads import still_kept
from core.views import batch_scoring
from core.wording import count_of
from ui import (
    chart_labels,
    confusion_chart,
    count_column,
    count_tick,
    delete_after_confirmation,
    example_download,
    failing_plainly,
    follow_suggestion,
    may,
    pick_sheet,
    plain,
    say,
    say_pending,
    table,
    use_app_navigation,
)

use_app_navigation()

UPLOAD_KEY = "scoring_saved_upload"  # (file id, stored path) of the current upload
FORM_KEY = "scoring_form"  # a new number empties the upload form once a run has started
OPEN_KEY = "scoring_open"  # the "Open a past run" box, kept equal to the open run


def open_run(run_id: int | None) -> None:
    if run_id is None:
        st.query_params.pop("run", None)
    else:
        st.query_params["run"] = str(run_id)


def selected_run() -> int | None:
    raw = st.query_params.get("run")
    return int(raw) if raw and raw.isdigit() else None


def saved_upload(upload):  # noqa: ANN001, ANN201 - UploadedFile -> Path
    """Store the uploaded file once per upload (reruns reuse it)."""
    saved = st.session_state.get(UPLOAD_KEY)
    if saved and saved[0] == upload.file_id and still_kept(saved[1]):
        return saved[1]
    runs.check_upload_size(upload.size, upload.name)
    path = runs.save_upload(upload.name, upload)
    st.session_state[UPLOAD_KEY] = (upload.file_id, path)
    return path


def new_run_form() -> None:
    limit = runs.size_limit_text()
    upload = st.file_uploader(
        f"File to score: .csv (or .tsv, .txt), .csv.gz or .xlsx, up to {limit}",
        type=["csv", "gz", "xlsx", "tsv", "txt"],
        max_upload_size=get_settings().upload_limit_mb,
        key=f"scoring_upload_{st.session_state.get(FORM_KEY, 0)}",
        help="Comma, semicolon, tab or pipe separated; UTF-8, UTF-16 or Latin-1. The limit is set with BEACON_UPLOAD_MAX_MB.",
    )
    if upload is None:
        st.caption("Rows are read and scored in chunks, so a file of millions of rows is fine.")
        example_download("batch")
        return
    upload = pick_sheet(upload, "scoring_upload")
    try:
        path = saved_upload(upload)
        check = batch_scoring.check_upload(path, upload.name)
    except InputFileError as exc:
        say("error", str(exc))
        return
    st.caption(plain(f"{upload.name}: {check.description}"))
    table(check.preview, hide_index=True, width="stretch", key="scoring_preview")
    if problem := batch_scoring.preview_problem(check):
        say("warning", problem)
    tasks = batch_scoring.available_tasks()
    if not tasks:
        st.warning("No task has an active model yet. Run `python -m core setup` or train one in Model Studio.")
        return
    run_choices(upload.name, path, check, tasks)


def run_choices(name: str, path, check, tasks: list[str]) -> None:  # noqa: ANN001 - Path, UploadCheck
    """The text column, tasks and their versions, masking and engine for the checked upload, and Start scoring."""
    columns = check.spec.columns
    c1, c2 = st.columns(2)
    guess = columns.index(check.suggested_column) if check.suggested_column in columns else 0
    text_column = c1.selectbox("Text column", columns, index=guess, key="scoring_text_column", help="Suggested: the longest texts")
    default = batch_scoring.tasks_to_start_with(check, tasks, text_column)
    follow_suggestion("scoring_tasks", default)  # a labelled file: the tasks its labels belong to
    chosen = c2.multiselect("Tasks (scored in one pass)", tasks, default=default, key="scoring_tasks")
    versions = {task: version for task in chosen if (version := version_choice(task)) is not None}
    mask = st.checkbox(
        "Mask personal data first (e-mails, phone, card and account numbers, IBANs); the masked text is what is stored",
        key="scoring_mask",
    )
    engines = batch_scoring.engine_choices()  # empty unless BEACON_RAY_ADDRESS offers a Ray cluster
    engine = "local"
    if engines:
        label = st.radio("Engine", list(engines), horizontal=True, key="scoring_engine", help=batch_scoring.engine_help())
        engine = engines[label]
    if chosen and engine == "local":
        st.caption(batch_scoring.scoring_estimate(path, check, text_column, chosen, versions))
    if st.button("Start scoring", type="primary", disabled=not chosen, key="scoring_start"):
        try:
            run_id = runs.create_run(path, name, text_column, chosen, mask_pii=mask, engine=engine, versions=versions)
        except (InputFileError, LookupError, ValueError) as exc:
            say("error", str(exc))
            return
        runs.start_run(run_id)
        st.session_state.pop(UPLOAD_KEY, None)
        st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 0) + 1
        open_run(run_id)
        st.rerun()


def version_choice(task: str) -> int | None:
    """The version of ``task`` picked for the run, offered only when the task has two or more (None: the active one)."""
    choices = batch_scoring.version_choices(task)
    if len(choices) < 2:
        return None
    return st.selectbox(
        f"Version of {plain(task)}", list(choices), format_func=choices.get, key=f"scoring_version_{task}",
        help="The active version unless you pick another: to try a version on your own file before promoting it in Model Studio.",
    )  # fmt: skip


def run_caption(run) -> None:  # noqa: ANN001 - RunView
    masked = " · personal data masked" if run.mask_pii else ""
    st.caption(
        plain(
            f"{batch_scoring.status_text(run)} · by {run.created_by} · {run.created_at:%Y-%m-%d %H:%M} UTC · "
            f"{run.models_text} · text column {run.text_column!r}{masked}{batch_scoring.engine_text(run)}"
        )
    )


@st.fragment(run_every=2)
@failing_plainly
def live_progress(run_id: int) -> None:
    """Re-reads the run every 2 s while it is queued or running (status, stage, progress); a full rerun shows the result."""
    run = runs.get_run(run_id)
    run_caption(run)
    st.progress(run.fraction_done, text=batch_scoring.progress_text(run))
    if may("analyst") and st.button("Cancel this run", key=f"scoring_cancel_{run.id}"):
        runs.request_cancel(run.id)
        st.rerun()
    if run.finished:
        st.rerun()


def show_charts(run) -> None:  # noqa: ANN001 - RunView
    shares = batch_scoring.class_shares(run)
    if shares.empty:
        return
    cols = st.columns(len(run.tasks))
    for col, task in zip(cols, run.tasks):
        frame = shares[shares.task == task]
        frame = frame.assign(label=chart_labels(frame["label"]))
        (name,) = chart_labels([task])
        colors = batch_scoring.class_colors(frame["label"])
        chart = px.bar(
            frame, x="label", y="rows", text=frame["share"].map("{:.1%}".format), title=f"Rows per class: {name}",
            labels={"label": "Class", "rows": "Rows"}, color="label" if colors else None, color_discrete_map=colors or {},
        ).update_layout(showlegend=False).update_xaxes(type="category").update_yaxes(dtick=count_tick(frame["rows"].max()))  # fmt: skip
        col.plotly_chart(chart, width="stretch", key=f"scoring_chart_{run.id}_{task}")


def show_agreement(run, agreements: list) -> None:  # noqa: ANN001 - RunView, LabelAgreement
    for agreement in agreements:
        st.markdown(f"**{plain(agreement.task)}: against your labels**")
        say("caption", batch_scoring.agreement_text(agreement))
        m1, m2 = st.columns(2)
        m1.metric("Same label as your column", f"{agreement.accuracy:.1%}", border=True)
        m2.metric("Macro-F1 (every class counts the same)", f"{agreement.macro_f1:.3f}", border=True)
        heat = confusion_chart(batch_scoring.agreement_confusion(agreement), "Your labels against the model's",
                               predicted="The model's label", true="Your label")  # fmt: skip
        st.plotly_chart(heat, width="stretch", key=f"scoring_agreement_{run.id}_{agreement.task}")
        if agreement.differing:
            st.download_button(
                f"Download the {agreement.differing:,} row{'s' * (agreement.differing != 1)} where your label differs (CSV, to review)",
                data=lambda a=agreement: review_file(run.id, a), file_name=runs.download_name(run, "csv").replace("-scored-", "-review-"),
                mime="text/csv", key=f"scoring_review_{run.id}_{agreement.task}",
                help="Row, text, your label, the model's label and confidence. Correct the label where the model was right; "
                     "the file trains a new version in Model Studio as it is (text and label columns).",
            )  # fmt: skip


def show_table(run, agreements: list) -> None:  # noqa: ANN001 - RunView
    c1, c2 = st.columns([1, 2])
    lowest = c1.toggle("Lowest confidence first", key=f"scoring_lowest_{run.id}")
    task = run.tasks[0]
    if len(run.tasks) > 1 and lowest:
        task = c2.selectbox("Confidence of", run.tasks, key=f"scoring_conf_task_{run.id}")
    compared = {a.task: a for a in agreements}
    if compared and c1.toggle("Only rows where your label differs", key=f"scoring_differs_{run.id}"):
        agreement = compared.get(task) or next(iter(compared.values()))
        rows = disagreements(run.id, agreement)
        first = "The first 1,000 rows" if len(rows) >= 1000 else f"{len(rows):,} rows"
        st.caption(f"{first} where the {plain(agreement.task)} model's label differs from your column "
                   f"'{plain(agreement.column)}', in file order.")  # fmt: skip
    else:
        rows = runs.result_table(run.id, task=task, lowest_first=lowest, limit=1000)
        shown = "the 1,000 lowest-confidence rows" if lowest else "the first 1,000 rows"
        st.caption(f"Showing {shown if run.rows_ok + run.rows_empty > 1000 else 'all rows'}; download the file for everything.")
    config = {
        col: st.column_config.ProgressColumn(col, min_value=0.0, max_value=1.0, format="%.3f")
        for col in runs.result_columns(run).values()
    }
    table(batch_scoring.in_reading_order(rows, run.tasks), hide_index=True, width="stretch", column_config=config,
          key=f"scoring_table_{run.id}")


def show_downloads(run) -> None:  # noqa: ANN001 - RunView
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Download CSV (Excel-safe)", data=lambda: runs.export_path(run.id, "csv").read_bytes(),
        file_name=runs.download_name(run, "csv"), mime="text/csv", key=f"scoring_csv_{run.id}",
    )  # fmt: skip
    c2.download_button(
        "Download Parquet", data=lambda: runs.export_path(run.id, "parquet").read_bytes(),
        file_name=runs.download_name(run, "parquet"), mime="application/vnd.apache.parquet", key=f"scoring_parquet_{run.id}",
    )  # fmt: skip
    if run.rows_bad:
        c3.download_button(
            f"Error report ({count_of(run.rows_bad, 'row')} not parsed)", data=lambda: runs.error_report(run.id) or b"",
            file_name=runs.download_name(run, "csv").replace("-scored-", "-errors-"), mime="text/csv",
            key=f"scoring_errors_{run.id}",
        )  # fmt: skip


def show_run(run_id: int) -> None:
    try:
        run = runs.get_run(run_id)
    except LookupError as exc:
        say("warning", str(exc))
        open_run(None)
        return
    st.subheader(plain(f"Run {run.id}: {run.file_name}"))
    if not run.finished:
        live_progress(run.id)
        return
    run_caption(run)
    note = batch_scoring.status_note(run)
    if note:
        say(*note)
        if run.resumable and may("analyst") and st.button("Resume", type="primary", key=f"scoring_resume_{run.id}"):
            runs.resume_run(run.id)
            st.rerun()
    else:
        st.progress(1.0, text=batch_scoring.progress_text(run))
    m1, m2, m3 = st.columns(3)
    m1.metric("Rows scored", f"{run.rows_ok:,}", border=True)
    m2.metric("Empty texts (status 'empty')", f"{run.rows_empty:,}", border=True)
    m3.metric("Rows not parsed", f"{run.rows_bad:,}", border=True)
    if run.parts_done:
        show_charts(run)
        agreements = label_agreements(run.id)
        show_agreement(run, agreements)
        show_table(run, agreements)
        show_downloads(run)
        if run.rows_bad:
            st.markdown("**Rows that could not be parsed** (first 20; the error report has all of them)")
            table(batch_scoring.error_sample(run.id), hide_index=True, width="stretch", key=f"scoring_errors_table_{run.id}")
    if batch_scoring.may_delete(run):
        run_deletion(run)


def run_deletion(run) -> None:  # noqa: ANN001 - RunView
    """Delete a finished run (its uploaded file, scores and downloads), after a confirmation."""

    def delete() -> str:
        runs.delete_run(run.id)
        open_run(None)
        return f"Deleted run {run.id} ({run.file_name}) with its file and results."

    delete_after_confirmation(f"scoring_delete_{run.id}", "Delete this run…", batch_scoring.delete_question(run), delete,
                              said_after="scoring_deleted")  # fmt: skip


RUN_COLUMNS = {  # the past runs' columns in the user's words
    "run": "Run", "started": st.column_config.DatetimeColumn("Started (UTC)", format="YYYY-MM-DD HH:mm"), "by": "By",
    "file": "File", "models": "Models", "engine": "Engine", "masked": "Masked", "status": "Status", "rows": count_column("Rows"),
    "not parsed": count_column("Not parsed"),
}  # fmt: skip


def runs_table(frame) -> None:  # noqa: ANN001 - DataFrame
    table(frame, hide_index=True, width="stretch", key="scoring_runs_table", column_config=RUN_COLUMNS)


@st.fragment(run_every=2)
@failing_plainly
def live_runs_table() -> None:
    """Past runs re-read every 2 s while a run is queued or running, so statuses and row counts stay current."""
    runs_table(batch_scoring.runs_table())
    if not batch_scoring.any_active():
        st.rerun()  # the last active run finished: show the page as it is now


def open_chosen_run() -> None:
    choice = st.session_state.get(OPEN_KEY)
    if choice is not None:
        open_run(int(choice))


def past_runs() -> None:
    past = batch_scoring.runs_table()
    if past.empty:
        st.caption("No scoring runs yet.")
        return
    if batch_scoring.any_active():
        live_runs_table()
    else:
        runs_table(past)
    ids = list(past["run"])
    current = selected_run()
    st.session_state[OPEN_KEY] = current if current in ids else None  # follows the open run (e.g. one just started)
    st.selectbox(
        "Open a past run", ids, key=OPEN_KEY, on_change=open_chosen_run, format_func=lambda i: f"Run {i}", placeholder="choose a run",
    )  # fmt: skip


st.title("Batch scoring")
if may("analyst"):
    with st.expander("Score a new file", expanded=selected_run() is None):
        new_run_form()
else:
    st.info("You can open past runs, see their results and download them. Uploading and scoring files needs the analyst role.")
say_pending("scoring_deleted")
if selected_run() is not None:
    show_run(selected_run())
st.subheader("Past runs")
past_runs()
