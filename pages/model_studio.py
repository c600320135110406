"""Model Studio: upload labelled data, check it, train (head / LoRA / full), follow the run, compare
and promote versions, compress a version (distil it into the fast encoder). UI only: every decision lives in
core.views.model_studio and core.nlp."""


import pandas as pd
import plotly.express as px
import streamlit as st

from core.downloads import safe_csv
from core.nlp.datacheck import LabelledFileError, classes_to_leave_out, short_label, suggest_columns
from core.nlp.runs import TextsFile, compression_refusal, get_run, list_runs
from core.nlp.training import TrainingParams
from core.scoring.reading import InputFileError
from core.settings import get_settings
from core.views import model_studio as studio
from core.wording import capitalised, count_of, sentence
from ui import (
    KEPT,
    chart_labels,
    confirm_deletion,
    confusion_chart,
    count_column,
    count_tick,
    delete_after_confirmation,
    example_download,
    failing_plainly,
    follow_suggestion,
    keep_choice,
    may,
    open_tab,
    page_tabs,
    pick_sheet,
    plain,
    say,
    say_pending,
    tab_upload,
    table,
    use_app_navigation,
)

use_app_navigation()

COLUMN_LABELS = {  # table columns in the user's words
    "run": "Run", "task": "Task", "method": "Method", "status": "Status", "rows": count_column("Rows"), "version": "Version", "by": "By",
    "created": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD HH:mm"), "active": "Active",
    "accuracy": "Accuracy", "labels": "Classes", "params": "Settings", "data fingerprint": "Data fingerprint",
    "training time": "Training time", "device": "Device", "base": "Base encoder",
    "class": "Class", "precision": "Precision", "recall": "Recall", "validation rows": count_column("Validation rows"),
    "text": "Text", "label": "Label", "predicted": "Predicted", "confidence": "Confidence",
    "row": "Line", "reason": "Reason", "measure": "Measure", "difference": "Difference",
}
COMPRESS = "Compress (distil into the fast encoder)"
TEXTS_KEY = "studio_texts_saved"  # (file id, stored path) of the current file of in-domain texts



def show_run(run_id: int) -> None:
    run = get_run(run_id)
    st.subheader(f"Run {run.id}: {run.task} · {studio.run_kind(run)}")
    st.caption(plain(studio.run_caption(run)))
    fraction, caption = studio.run_fraction(run)
    st.progress(fraction, text=caption)
    curve = studio.progress_frame(run)
    if not curve.empty:
        chart = px.line(curve, x="step", y="value", color="measure", markers=True, title="Training loss and validation scores",
                        labels={"step": "Training step (batches seen)", "value": "", "measure": ""})  # fmt: skip
        st.plotly_chart(chart, width="stretch", key=f"curve_{run.id}")
    if run.status in ("queued", "running"):
        if may("analyst") and st.button("Cancel this run", key=f"cancel_{run.id}"):
            say("info", studio.cancel_training(run.id))
        return
    if run.status in ("failed", "interrupted"):
        say("error", f"The run {run.status}: {run.error or 'no reason recorded'}. The active model is unchanged.")
    elif run.status == "cancelled":
        st.info("The run was cancelled; nothing was registered and the active model is unchanged.")
    elif studio.is_compression(run):
        show_compression(run)
    else:
        show_result(run)
    if studio.may_delete_run(run):
        delete_after_confirmation(f"studio_delete_run_{run.id}", "Delete this run…", studio.delete_run_question(run),
                                  lambda: studio.delete_training_run(run), said_after="studio_message")  # fmt: skip


def show_compression(run) -> None:  # noqa: ANN001 - RunView
    """A finished compression run: teacher and student side by side, and the student to promote."""
    st.markdown("**Teacher and student side by side**")
    table(studio.side_by_side(run), hide_index=True, width="stretch", key=f"side_by_side_{run.id}", column_config=COLUMN_LABELS)
    st.caption(plain(studio.compression_text(run)))
    st.caption(plain(studio.compression_settings(run)))
    registered_as(st.container(), run)
    promote_student(run)


def promote_student(run) -> None:  # noqa: ANN001 - RunView
    deleted = studio.deleted_text(run.task, run.model_version)
    if deleted:
        st.caption(f"{deleted}: it can no longer be promoted.")
    elif not studio.is_active(run.task, run.model_version):
        if may("admin"):
            promote_button(run.task, run.model_version, f"Promote v{run.model_version} to active", f"promote_{run.id}")
        else:
            st.caption("Promoting a version needs the admin role.")


def registered_as(container, run) -> None:  # noqa: ANN001 - a Streamlit container, a RunView
    """The card naming the version a run registered and whether it is active (a state, so no arrow)."""
    state = studio.version_state(run)
    container.metric("Registered as", f"v{run.model_version}", state, delta_color="normal" if state == "active" else "off",
                     delta_arrow="off", border=True)


def show_result(run) -> None:  # noqa: ANN001 - RunView
    scores = studio.headline(run)
    cols = st.columns(3)
    for col, (name, (new, old)) in zip(cols, scores.items()):
        delta, changed = studio.versus(new, old, (run.result.get("compared_with") or {}).get("version"))
        col.metric(f"{studio.MEASURES[name]} (validation)", f"{new:.3f}", delta, "normal" if changed else "off",
                   delta_arrow="auto" if changed else "off", border=True)  # fmt: skip
    registered_as(cols[2], run)
    if run.result.get("compared_with"):
        st.caption(studio.comparison_text(run))
    table(studio.per_class_table(run), hide_index=True, width="stretch", key=f"per_class_{run.id}", column_config=COLUMN_LABELS)
    matrix = studio.confusion_frame(run)
    if not matrix.empty:
        st.plotly_chart(confusion_chart(matrix, "Confusion matrix (validation rows)"), width="stretch", key=f"confusion_{run.id}")
    worst = run.result.get("worst_examples", [])
    st.markdown("**Most confident mistakes**")
    if worst:
        table(worst, hide_index=True, width="stretch", key=f"worst_{run.id}", column_config=COLUMN_LABELS)
    else:
        st.caption("No validation row was misclassified.")
    promote_student(run)


def promote(task: str, version: int) -> None:
    try:
        st.session_state["studio_message"] = ("success", studio.promote_version(task, version))
    except (LookupError, ValueError, RuntimeError, PermissionError) as exc:
        st.session_state["studio_message"] = ("error", str(exc))
    st.rerun()


def promote_button(task: str, version: int, label: str, key: str, **button_args: object) -> None:
    """Promote at once when the version is at least as good as the active one on the same validation rows;
    otherwise show the comparison and ask for confirmation first."""
    pending = st.session_state.get("studio_confirm")
    if pending is not None and pending.candidate == version and pending.task == task and st.session_state.get("studio_confirm_key") == key:
        say("warning", pending.summary())
        table(pending.table(), hide_index=True, width="stretch", key=f"{key}_comparison", column_config=COLUMN_LABELS)
        yes, no = st.columns(2)
        if yes.button(f"Yes, promote v{version}", type="primary", key=f"{key}_confirm", width="stretch"):
            st.session_state.pop("studio_confirm", None)
            promote(task, version)
        if no.button(f"Keep v{pending.active} active", key=f"{key}_keep", width="stretch"):
            st.session_state.pop("studio_confirm", None)
            st.session_state["studio_message"] = ("info", f"Nothing changed: {task} v{pending.active} stays active.")
            st.rerun()
        return
    if st.button(label, type="primary", key=key, **button_args):
        try:
            with st.spinner(f"Scoring v{version} and the active version on the same validation rows…"):
                comparison = studio.compare_for_promotion(task, version)
        except (LookupError, ValueError, RuntimeError) as exc:
            say("error", str(exc))
            return
        if comparison is not None and comparison.worse:
            st.session_state["studio_confirm"], st.session_state["studio_confirm_key"] = comparison, key
            st.rerun()
        promote(task, version)


@st.fragment(run_every=2)
@failing_plainly
def live_run(run_id: int) -> None:
    """Re-reads the run every 2 s while it trains; once it has finished the whole page reruns, so the runs table says so
    too (it said "queued" beside a finished run when the page was opened while the run was going) and the refresh stops."""
    show_run(run_id)
    if get_run(run_id).finished:
        st.rerun()


def train_tab() -> None:
    if not may("analyst"):
        st.info("You are signed in as a viewer: you can follow training runs and compare versions under Runs and Versions. "
                "Training a model needs the analyst role; ask an admin to change your role.")
        return
    upload = tab_upload("Labelled CSV or Excel file (a text column and a label column)", type=["csv", "xlsx"], key="studio_upload")
    if upload is None:
        st.info("Upload a CSV with one example per row: the text and its label (for example an export of reviewed tickets).")
        example_download("labelled")
        return
    upload = pick_sheet(upload, "studio_upload")
    try:
        frame = studio.read_training_file(upload.getvalue(), upload.name)
    except LabelledFileError as exc:
        say("error", str(exc))
        return
    table(frame.head(5), hide_index=True, width="stretch", key="studio_preview")
    text_guess, label_guess = suggest_columns(frame)
    columns = list(frame.columns)
    c1, c2 = st.columns(2)
    text_col = c1.selectbox("Text column", columns, index=columns.index(text_guess) if text_guess else 0, key="studio_text",
                            persist_state=KEPT)
    label_idx = columns.index(label_guess) if label_guess in columns else min(1, len(columns) - 1)
    label_col = c2.selectbox("Label column", columns, index=label_idx, key="studio_label", persist_state=KEPT)

    task, add_corrections, method, params = training_choices(frame, upload.file_id, label_col)
    check_and_train(frame, text_col, label_col, task, add_corrections, method, params)


def training_choices(frame: pd.DataFrame, file_id: str, label_col: str) -> tuple[str, bool, str, TrainingParams]:
    """The task (suggested from the labels), whether to add reviewer corrections, the method, the base encoder and the
    advanced settings."""
    t1, t2 = st.columns(2)
    choices, picked_for = studio.task_choices(), (file_id, label_col)
    if st.session_state.get("studio_task_for") != picked_for:  # a new file or label column: suggest its task again
        st.session_state["studio_task"] = studio.suggested_task(frame[label_col])
        st.session_state["studio_task_for"] = picked_for
    task = t1.selectbox("Task", choices, key="studio_task", persist_state=KEPT)
    if task == studio.NEW_TASK:
        named = studio.suggested_task_name(label_col)
        follow_suggestion("studio_new_task", named)
        task = t2.text_input("New task name", value=named, placeholder="e.g. complaint_type", key="studio_new_task",
                             persist_state=KEPT)
    corrections = studio.corrections_available(task)
    add_corrections = corrections > 0 and st.checkbox(
        f"Add the {count_of(corrections, 'reviewer correction')} of {plain(task)} items to the training data",
        value=True, key="studio_corrections", persist_state=KEPT,
    )  # fmt: skip
    method = st.radio("Method", list(studio.METHODS), format_func=studio.METHODS.get, horizontal=False, key="studio_method",
                      persist_state=KEPT)
    bases = studio.base_choices()
    base = st.radio("Base encoder", bases, format_func=studio.BASES.get, horizontal=True, key="studio_base", persist_state=KEPT)
    if "accurate" not in bases:
        st.caption(studio.ACCURATE_MISSING)
    params = advanced_settings(method, base)
    return task, add_corrections, method, params


def check_and_train(frame: pd.DataFrame, text_col: str, label_col: str, task: str, add_corrections: bool, method: str,
                    params: TrainingParams) -> None:
    """The data check of the columns picked, the time estimate, and Start training."""
    try:
        check = studio.run_data_check(frame, text_col, label_col, task, add_corrections)
    except LabelledFileError as exc:
        say("error", str(exc))
        return
    small = classes_to_leave_out(check.class_counts)
    if small and st.checkbox(studio.leave_out_label(small), key="studio_leave_out", persist_state=KEPT):
        check = studio.run_data_check(frame, text_col, label_col, task, add_corrections, leave_out_small=True)
    show_data_check(frame, check)
    if hint := studio.small_file_hint(method, len(check.texts)):
        st.caption(hint)
    plan = studio.training_plan(check.texts, params)
    st.caption(f"Device: **{plan.device}** · estimated training time: **{plan.estimate_text}** · "
               f"by base encoder on this device: {plan.per_base_text}")  # fmt: skip
    if not task.strip():
        st.caption("Name the new task to start training.")
    if st.button("Start training", type="primary", disabled=not check.ok or not task.strip(), key="studio_start"):
        try:
            run_id = studio.start_training(check, task, params)
        except ValueError as exc:
            say("error", str(exc))
            return
        st.session_state["studio_run_pick"] = run_id
        say("success", f"Training run {run_id} started. It keeps running if you close this page; follow it under Runs.")
        follow_run_button(run_id)


def follow_run_button(run_id: int) -> None:
    """Under a started run's message: one click to the Runs tab, where the run is already picked."""
    st.button(f"Follow run {run_id} under Runs", key=f"studio_follow_{run_id}", on_click=open_tab, args=("Runs",))


def advanced_settings(method: str, base: str) -> TrainingParams:
    """The run's settings: the method's defaults, changed under **Advanced settings**."""
    defaults = studio.default_params(method)
    with st.expander("Advanced settings"):
        a1, a2, a3 = st.columns(3)
        epochs = a1.number_input("Epochs (at most; early stopping)", 1, 500, None, key=f"studio_epochs_{method}", persist_state=KEPT,
                                 placeholder="automatic", help=studio.epochs_help(method))
        lr = a2.number_input("Learning rate", 1e-6, 1.0, defaults["learning_rate"], format="%.6f", key=f"studio_lr_{method}",
                             persist_state=KEPT)
        batch = a3.number_input("Batch size", 4, 512, defaults["batch_size"], key="studio_batch", persist_state=KEPT)
        b1, b2 = st.columns(2)
        max_length = b1.number_input("Max length (tokens)", 16, 512, defaults["max_length"], key="studio_maxlen", persist_state=KEPT)
        rank = b2.number_input("LoRA rank", 1, 128, defaults["lora_rank"], key="studio_rank", disabled=method != "lora", persist_state=KEPT)
    return TrainingParams(method=method, epochs=int(epochs) if epochs else None, learning_rate=float(lr), batch_size=int(batch),
                          max_length=int(max_length), lora_rank=int(rank), base=base)  # fmt: skip


def show_data_check(frame, check) -> None:  # noqa: ANN001 - DataFrame, DataCheck
    """The counts, rows per class, every problem and warning, and the rows that will be dropped."""
    st.subheader("Data check")
    counts = studio.check_counts(frame, check)
    for col, (name, value) in zip(st.columns(len(counts)), counts.items()):
        col.metric(name, value, border=True)
    if check.class_counts:
        names = chart_labels(check.class_counts)
        chart = px.bar(x=names, y=list(check.class_counts.values()), labels={"x": "Class", "y": "Rows"})
        chart.update_layout(title="Rows per class", height=300).update_xaxes(type="category")  # labels such as 0/1 are names
        chart.update_yaxes(dtick=count_tick(max(check.class_counts.values())))
        chart.update_xaxes(tickvals=names, ticktext=chart_labels(short_label(label) for label in check.class_counts))  # hover: in full
        st.plotly_chart(chart, width="stretch", key="studio_class_counts")
    for problem in check.problems:
        say("error", sentence(problem))
    for warning in check.warnings:
        say("warning", sentence(warning))
    if len(check.dropped):
        with st.expander(f"Rows that will be dropped ({len(check.dropped)})"):
            table(check.dropped, hide_index=True, width="stretch", key="studio_dropped", column_config=COLUMN_LABELS)
            st.download_button("Download the dropped rows", safe_csv(check.dropped), "dropped_rows.csv", "text/csv")


def runs_tab() -> None:
    runs = list_runs()
    if not runs:
        st.info("No training runs yet. Start one under Train.")
        return
    table(studio.runs_table(runs), hide_index=True, width="stretch", key="studio_runs",
          column_config=COLUMN_LABELS | {"macro-F1": st.column_config.TextColumn("Macro-F1", alignment="right")})  # fmt: skip
    ids = [r.id for r in runs]
    keep_choice("studio_run_pick", ids)  # the newest, or a run deleted since
    run_id = st.selectbox("Run", ids, format_func=lambda i: f"Run {i}", key="studio_run_pick", persist_state=KEPT)
    if not get_run(run_id).finished:
        live_run(run_id)
    else:
        show_run(run_id)


def compression_choices() -> tuple[str, TextsFile | None, bool]:
    """The student and the optional file of in-domain texts for "Compress"; False when the file cannot be used."""
    kinds = list(studio.STUDENT_CHOICES)
    student = st.radio("Student", kinds, index=kinds.index(studio.DEFAULT_STUDENT), format_func=studio.STUDENT_CHOICES.get,
                       key="studio_student", persist_state=KEPT)  # fmt: skip
    upload = tab_upload("In-domain texts (optional): .csv, .csv.gz or .xlsx", type=["csv", "gz", "xlsx"], key="studio_texts_upload",
                        help=studio.TEXTS_HELP)  # fmt: skip
    if upload is None:
        st.caption("Without a file the student learns on the project's own texts for the task.")
        return student, None, True
    upload = pick_sheet(upload, "studio_texts_upload")
    saved = st.session_state.get(TEXTS_KEY)
    try:
        path, check = studio.texts_upload(upload.name, upload.getvalue(), saved[1] if saved and saved[0] == upload.file_id else None)
    except InputFileError as exc:
        say("error", str(exc))
        return student, None, False
    st.session_state[TEXTS_KEY] = (upload.file_id, path)
    columns = check.spec.columns
    guess = columns.index(check.suggested_column) if check.suggested_column in columns else 0
    column = st.selectbox("Text column", columns, index=guess, key="studio_texts_column", help="Suggested: the longest texts",
                          persist_state=KEPT)
    st.caption(plain(f"{upload.name}: {check.description}"))
    return student, TextsFile(path, upload.name, column), True


@st.cache_data(ttl=60, show_spinner=False, max_entries=8)  # not read from the database and files on every rerun
def cached_compression_plan(database_url: str, created_at, task: str, version: int, student: str,  # noqa: ANN001
                            texts: TextsFile | None) -> studio.CompressionPlan:  # fmt: skip
    return studio.compression_plan(task, version, student, texts)


def compression_plan(task: str, version: int, student: str, texts: TextsFile | None) -> studio.CompressionPlan:
    # the version's creation time is in the key: a database emptied and set up again numbers its versions from 1 again
    created_at = studio.version_created_at(task, version)
    return cached_compression_plan(get_settings().database_url, created_at, task, version, student, texts)


def start_compression(task: str, version: int, student: str, texts: TextsFile | None) -> None:
    try:
        run_id = studio.start_compression(task, version, student=student, texts=texts)
    except (LookupError, ValueError, PermissionError) as exc:
        say("error", str(exc))
        return
    st.session_state["studio_run_pick"] = run_id
    say("success", f"Compression run {run_id} started: {task} v{version} is distilled into the fast encoder. "
                   "It keeps running if you close this page; follow it under Runs.")  # fmt: skip
    follow_run_button(run_id)


def versions_tab() -> None:
    tasks = [t for t in studio.task_choices() if t != studio.NEW_TASK]
    if not tasks:
        st.info("No model versions yet: run `python -m core setup` to install the default models.")
        return
    keep_choice("studio_versions_task", tasks, start=lambda: studio.versions_task_to_show(tasks))
    task = st.selectbox("Task", tasks, key="studio_versions_task", persist_state=KEPT)
    versions = studio.versions_table(task)
    table(versions, hide_index=True, width="stretch", key="studio_versions", column_config=COLUMN_LABELS)
    if len(versions) > 1:
        shown = versions.sort_values("version").assign(state=lambda t: t["active"].map(lambda a: "active" if a else "not active"))
        chart = px.bar(shown, x="version", y="macro-F1", color="state", hover_data=["base", "method"],
                       title="Validation macro-F1 per version", labels={"state": "", "version": "Version", "macro-F1": "Macro-F1"},
                       category_orders={"version": shown["version"].tolist()},  # v1, v2, v3 whichever is active
                       color_discrete_map={"active": "#1c64d1", "not active": "#9fbbe0"}, text_auto=".3f")
        chart.update_xaxes(type="category", tickprefix="v")  # the value on each bar: 0.902 and 0.931 look alike as bars from 0
        st.plotly_chart(chart, width="stretch", key="studio_versions_chart")
        st.caption("Each version is scored on its own validation split; compare two versions on the same rows in the run's result, "
                   "or on a labelled file of your own: Batch scoring lets you pick the version and compares with your labels.")  # fmt: skip
    if not may("analyst"):
        st.caption("Promoting, rolling back and deleting versions needs the admin role; compressing a version needs the analyst role.")
        return
    p1, p2, p3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    choices = versions["version"].tolist()
    keep_choice("studio_version_pick", choices)  # another task's, or a version deleted since
    version = int(p1.selectbox("Version", choices, format_func=lambda v: f"v{v}", key="studio_version_pick", persist_state=KEPT))
    refusal = compression_refusal(task, version)
    if refusal:
        st.caption(plain(capitalised(refusal)))
    with st.expander("Compress: the student and the texts it learns from"):
        student, texts, usable = compression_choices()
    plan = compression_plan(task, version, student, texts) if usable and not refusal else None
    if plan and plan.possible:
        st.caption(plain(plan.text))
    elif plan:
        say("error", plan.text)
    if p2.button(COMPRESS, key="studio_compress", width="stretch", help=refusal or studio.COMPRESS_HELP,
                 disabled=bool(refusal) or not usable or not plan.possible):  # fmt: skip
        start_compression(task, version, student, texts)
    if not may("admin"):
        st.caption("Promoting, rolling back and deleting versions needs the admin role.")
        return
    rollback_help, can_roll_back = studio.rollback_help(task)
    if p3.button("Roll back", key="studio_rollback", width="stretch", help=rollback_help, disabled=not can_roll_back):
        try:
            st.session_state["studio_message"] = ("success", studio.rollback_task(task))
        except (LookupError, ValueError, RuntimeError, PermissionError) as exc:
            st.session_state["studio_message"] = ("error", str(exc))
        st.rerun()
    if not studio.is_active(task, version):
        promote_button(task, version, f"Promote v{version}", "studio_promote")
    delete_version_section(task, version)


def delete_version_section(task: str, version: int) -> None:
    """Admins delete a version they no longer need (not the active one, nor one a queued or running run uses),
    after a confirmation naming what goes."""
    refusal = studio.deletion_refusal(task, version)
    if st.button(f"Delete v{version}…", key="studio_delete", disabled=bool(refusal),
                 help=plain(refusal) if refusal else "Remove a version you no longer need"):  # fmt: skip
        st.session_state["studio_delete_pending"] = (task, version)
    pending = st.session_state.get("studio_delete_pending")
    if pending != (task, version) or not confirm_deletion("studio_delete_pending", studio.delete_question(task, version)):
        return
    try:
        st.session_state["studio_message"] = ("success", studio.delete_version(task, version))
    except (LookupError, ValueError, PermissionError) as exc:
        st.session_state["studio_message"] = ("error", str(exc))
    st.rerun()


st.title("Model Studio")
st.caption("Teach Beacon your own labels: check the data, train, compare with the active version, promote.")
say_pending("studio_message")
train, runs, versions = page_tabs(["Train", "Runs", "Versions"], old_param="studio")
if train.open:
    with train:
        train_tab()
if runs.open:
    with runs:
        runs_tab()
if versions.open:
    with versions:
        versions_tab()
