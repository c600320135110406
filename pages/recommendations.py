"""Recommendations: upload interactions and a catalogue, check them, compare recommenders offline, explore
per-user top-N with reasons, similar items and new items, export. UI only: logic lives in core.recommend."""

from functools import partial

import pandas as pd
import plotly.express as px
import streamlit as st

from core.recommend import jobs, service, store
from core.recommend.data import FIELD_NAMES, INTERACTION_FIELDS, ITEM_FIELDS, RecommendFileError, check_files, read_table, suggest_mapping
from core.recommend.evaluate import EvalConfig
from core.recommend.split import PROTOCOLS
from core.settings import get_settings
from core.views import recommendations
from core.wording import count_of
from ui import (
    KEPT,
    confirm_deletion,
    count_column,
    example_download,
    failing_plainly,
    keep_choice,
    may,
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

NONE = "(none)"
MIN_RATING_HELP = ("Empty: every interaction counts, whatever its rating. With a rating such as 4, only interactions rated 4 "
                   "or more count as a user liking the item; the others are left out of training and evaluation.")
COLUMN_LABELS = {  # table columns in the user's words
    "version": "Dataset version", "name": "Name", "interactions": count_column("Interactions"), "users": count_column("Users"),
    "catalogue items": count_column("Catalogue items"),
    "created": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD HH:mm"),
    "item": "Item id", "title": "Title", "category": "Category",
    "when": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"), "rank": "Rank",
    "score": st.column_config.NumberColumn("Score", format="%.3f",
                                           help="How strongly the recommender ranks it: it orders this list, and is "
                                                "neither a probability nor a percentage, so compare it only within one list"),
    "reason": "Why recommended", "text similarity": st.column_config.NumberColumn("Text similarity", format="%.3f"),
    "user": "User", "history size": count_column("Items in history"),
    "similarity": st.column_config.NumberColumn("Similarity", format="%.3f"),
}

TOP_COLUMNS = ("rank", "title", "reason", "score", "category", "item")  # the reason next to the title, not scrolled off


@st.cache_resource(show_spinner="Fitting the recommender…", max_entries=4)
def recommender(database_url: str, dataset_id: int, created_at, evaluations: int):  # noqa: ANN001, ANN201 - core Recommender
    return service.fit_recommender(dataset_id)


def current_recommender(dataset_id: int):  # noqa: ANN201
    # the creation time is in the key: SQLite gives a deleted newest version's id to the next upload
    created_at = store.get_dataset(dataset_id).created_at
    return recommender(get_settings().database_url, dataset_id, created_at, len(store.list_evaluations(dataset_id)))


def mapping_widgets(frame, kind: str, fields: dict, file_key: str) -> dict:
    suggested = suggest_mapping(frame, kind)
    mapping = {}
    cols = st.columns(len(fields))
    for col, (fld, required) in zip(cols, fields.items()):
        options = ([] if required else [NONE]) + list(frame.columns)
        default = suggested.get(fld)
        index = options.index(default) if default in options else 0
        label = f"{'Item id' if fld == 'item' and kind == 'items' else FIELD_NAMES[fld].capitalize()} column"
        choice = col.selectbox(label, options, index=index, key=f"rec_map_{kind}_{fld}_{file_key}", persist_state=KEPT)
        mapping[fld] = None if choice == NONE else choice
    return mapping


def read_upload(upload):  # noqa: ANN001, ANN201
    try:
        return read_table(upload.getvalue(), upload.name)
    except RecommendFileError as exc:
        say("error", str(exc))
        return None


def saved_versions() -> None:
    versions = store.list_datasets()
    if versions:
        st.markdown("**Saved dataset versions** (evaluate them on the Evaluate tab, see recommendations on Explore)")
        table([{"version": f"v{v.id}", "name": v.name, "interactions": v.stats.get("usable interactions"),
                "users": v.stats.get("users"), "catalogue items": v.stats.get("catalogue items"), "created": v.created_at}
               for v in versions], hide_index=True, width="stretch", key="rec_versions", column_config=COLUMN_LABELS)  # fmt: skip
    if versions and may("admin"):
        delete_version(versions)
    say_pending("rec_deleted")


def delete_version(versions: list) -> None:
    """Admins delete a dataset version (its data, evaluations and nightly export), after a confirmation."""
    labels = {v.id: v.label for v in versions}
    doomed = st.selectbox("Delete a dataset version", list(labels), index=None, format_func=labels.get,
                          placeholder="Pick a version to delete", key="rec_delete_pick")  # fmt: skip
    if doomed is None or not confirm_deletion(
        "rec_delete_pick", f"Delete {labels[doomed]} with its uploaded data, evaluations and nightly export? This cannot be undone."
    ):
        return
    try:
        gone = store.delete_dataset(doomed)
    except (ValueError, PermissionError) as exc:
        say("error", str(exc))
        return
    st.session_state["rec_deleted"] = f"Deleted {gone.label}."
    st.rerun()


def data_tab() -> None:
    if not may("analyst"):
        st.info("You are signed in as a viewer: you can look at the dataset versions, their evaluations and the "
                "recommendations. Uploading data needs the analyst role; ask an admin to change your role.")
        if not store.list_datasets():
            st.caption("No dataset versions yet: they appear here once an analyst uploads interactions and a catalogue.")
        saved_versions()
        return
    upload_data()
    saved_versions()


def upload_data() -> None:
    """The two uploads, their column mapping, the data check and Save as dataset version."""
    st.markdown("Upload **interactions** (user, item, optional rating / event type / timestamp) and the **catalogue** "
                "(item, title, optional description / category / tags / price).")
    left, right = st.columns(2)
    inter_file = tab_upload("Interactions (CSV or Excel)", type=["csv", "txt", "xlsx"], key="rec_interactions", where=left)
    items_file = tab_upload("Catalogue (CSV or Excel)", type=["csv", "txt", "xlsx"], key="rec_items", where=right)
    if inter_file is None:
        example_download("interactions", left)
    if items_file is None:
        example_download("catalogue", right)
    inter_file = pick_sheet(inter_file, "rec_interactions", left)
    items_file = pick_sheet(items_file, "rec_items", right)
    # each file is read as soon as it arrives, so a file that cannot be used is said before the other is chosen
    inter = read_upload(inter_file) if inter_file is not None else None
    items = read_upload(items_file) if items_file is not None else None
    if inter_file is None or items_file is None:
        st.info("Upload both files to see the column mapping and the data check.")
        return
    if inter is not None and items is not None:
        check_and_save(inter_file, items_file, inter, items)


def check_and_save(inter_file, items_file, inter: pd.DataFrame, items: pd.DataFrame) -> None:  # noqa: ANN001 - uploads
    """The column mapping of both files, the data check and Save as dataset version."""
    st.markdown(f"**Columns of {plain(inter_file.name)}**")
    inter_map = mapping_widgets(inter, "interactions", INTERACTION_FIELDS, inter_file.file_id)
    st.markdown(f"**Columns of {plain(items_file.name)}**")
    item_map = mapping_widgets(items, "items", ITEM_FIELDS, items_file.file_id)
    min_rating = None
    if inter_map.get("rating"):
        min_rating = st.number_input("Count an interaction as relevant from rating", value=None, step=0.5, placeholder="every rating",
                                     format="%g", key=f"rec_min_rating_{inter_file.file_id}", help=MIN_RATING_HELP,
                                     persist_state=KEPT)  # fmt: skip
    check = check_files(inter, items, inter_map, item_map, inter_file.name, items_file.name, min_rating)
    st.subheader("Data check")
    if check.stats:
        cols = st.columns(4)
        for i, name in enumerate(("usable interactions", "users", "catalogue items", "items without interactions")):
            cols[i].metric(name.capitalize(), f"{check.stats.get(name, 0):,}", border=True)
    for level in ("error", "warning", "info"):
        for message in check.messages(level):
            say(level, message)
    if check.suggested_min_rating is not None:
        st.button(f"Count from rating {check.suggested_min_rating:g}", key="rec_count_liked", on_click=st.session_state.__setitem__,
                  args=(f"rec_min_rating_{inter_file.file_id}", check.suggested_min_rating),
                  help="Only interactions rated this or more count as a user liking the item (in training and evaluation)")  # fmt: skip
    name = st.text_input("Dataset name", value=inter_file.name.rsplit(".", 1)[0], key="rec_dataset_name", persist_state=KEPT)
    saving = job_running("rec_save_job")
    if st.button("Save as dataset version", disabled=not check.ok or saving, type="primary"):
        try:
            st.session_state["rec_save_job"] = jobs.queue_save(
                name, (inter_file.name, inter_file.getvalue()), (items_file.name, items_file.getvalue()),
                {"interactions": inter_map, "items": item_map} | ({"min_rating": min_rating} if min_rating is not None else {}),
            )
        except (ValueError, PermissionError) as exc:
            say("error", str(exc))
        else:
            st.rerun()  # the button turns disabled while the job runs
    if st.session_state.get("rec_save_job"):
        job_panel(st.session_state["rec_save_job"])


def job_running(key: str) -> bool:
    job_id = st.session_state.get(key)
    return bool(job_id) and not jobs.get_job(job_id).finished


def job_panel(job_id: int) -> None:
    """A job's stage and progress while it runs (polled), then its outcome."""
    job = jobs.get_job(job_id)
    if not job.finished:
        live_job(job_id, job.kind)
        return
    if job.status != "succeeded":
        say(*recommendations.ended_text(job))
    elif job.kind == "save":
        if st.session_state.get("rec_saved_job") != job.id:  # select the new version once, then leave the pickers alone
            st.session_state["rec_saved_job"], st.session_state["rec_version"] = job.id, job.dataset_id
        say("success", recommendations.saved_text(job.dataset_id, job.result, job.elapsed_s))
    else:
        st.caption(f"Evaluated in {job.elapsed_s:.0f} s.")


@st.fragment(run_every=1)
@failing_plainly
def live_job(job_id: int, where: str) -> None:
    """The job's bar, polled, with its Cancel button (``where``: the tab showing it, as several can follow one job)."""
    job = jobs.get_job(job_id)
    st.progress(job.progress, text=f"{job.title}: {job.caption}")
    st.caption("It runs in its own process: you can leave this page and come back.")
    if may("analyst") and st.button("Cancel", key=f"rec_cancel_{where}_{job_id}", disabled=job.cancelling):
        jobs.cancel_job(job_id)
        st.rerun()
    if job.finished:
        st.rerun()


def pick_version(key: str):  # noqa: ANN201
    versions = store.list_datasets()
    if not versions:
        st.info("No dataset yet: upload interactions and a catalogue on the Data tab.")
        return None
    ids = [v.id for v in versions]
    keep_choice(key, ids, start=st.session_state.get("rec_version"))  # the other tab's pick; a version deleted since
    labels = {v.id: v.label for v in versions}
    chosen = st.selectbox("Dataset version", ids, format_func=labels.get, key=key)
    st.session_state["rec_version"] = chosen
    return next(v for v in versions if v.id == chosen)


def still_saving(info, action: str) -> bool:  # noqa: ANN001 - DatasetInfo
    """While the version's save job still embeds its item texts, follow it here instead of ``action`` (which would
    embed the same texts again, at the same time)."""
    job = jobs.saving_job(info.id)
    if job is None:
        return False
    st.info(recommendations.still_saving_text(info.id, action))
    live_job(job.id, action)
    return True


def texts_embedded(info) -> bool:  # noqa: ANN001 - DatasetInfo
    """Whether Explore can fit the version's recommender in seconds; else says how its texts get embedded. Asked
    until the answer is yes (embedded texts stay), once per version and session after that."""
    ready = st.session_state.setdefault("rec_embedded", set())
    if (info.id, info.created_at) in ready:
        return True
    if not service.item_texts_embedded(info.id):
        st.info(recommendations.not_embedded_text(info.id, may("analyst")))
        return False
    ready.add((info.id, info.created_at))
    return True


def evaluate_tab() -> None:
    info = pick_version("rec_eval_version")
    if info is None or still_saving(info, "evaluate it"):
        return
    if not may("analyst"):
        st.caption("Running an evaluation needs the analyst role; the latest stored results are shown below.")
        show_results(info, running=False, may_evaluate=False)
        return
    protocols = ["random"] + (["last"] if info.stats.get("usable interactions") else [])
    protocol = st.radio("Evaluation protocol", protocols, format_func=PROTOCOLS.get, key="rec_protocol", persist_state=KEPT)
    cols = st.columns(3)
    ratio = cols[0].slider("Held-out share per user", 0.1, 0.5, 0.25, 0.05, key="rec_ratio", disabled=protocol != "random",
                           persist_state=KEPT)
    seed = int(cols[1].number_input("Split seed", 0, 10**6, 42, key="rec_seed", persist_state=KEPT))
    k = int(cols[2].selectbox("List length (k)", [5, 10, 20], index=1, key="rec_k", persist_state=KEPT))
    latest = jobs.latest_job("evaluate", info.id)
    if st.button("Evaluate", type="primary", disabled=latest is not None and not latest.finished):
        try:
            jobs.queue_evaluate(info.id, EvalConfig(protocol=protocol, test_ratio=ratio, seed=seed, k=k))
        except (ValueError, PermissionError) as exc:
            say("error", str(exc))
        else:
            st.rerun()  # the button turns disabled while the job runs
    running = latest is not None and not latest.finished
    if latest is not None and (running or latest.status != "succeeded"):
        job_panel(latest.id)
    show_results(info, running)


def show_results(info, running: bool, may_evaluate: bool = True) -> None:  # noqa: ANN001 - DatasetInfo
    evaluations = store.list_evaluations(info.id)
    if not evaluations:
        st.info(recommendations.no_results_text(running, may_evaluate))
        return
    latest = evaluations[0]
    st.subheader(f"Results (evaluation {latest.id})")
    say("caption", recommendations.protocol_statement(latest.meta))
    helps = recommendations.column_help(latest.k)
    table(recommendations.results_table(latest.results, latest.k), hide_index=True, width="stretch", key="rec_results",
          column_config={"Model": st.column_config.TextColumn("Model", pinned=True)}
          | {name: st.column_config.NumberColumn(name, help=text, format=recommendations.column_format(name))
             for name, text in helps.items()})  # fmt: skip
    chart = px.bar(recommendations.chart_frame(latest.results, latest.k), x="metric", y="value", color="Model", barmode="group",
                   labels={"metric": "Metric", "value": "Value"}, title="Models side by side")
    st.plotly_chart(chart, width="stretch", key="rec_chart")
    say("caption", recommendations.cold_statement(latest.meta))


def explore_tab() -> None:
    info = pick_version("rec_explore_version")
    if info is None or still_saving(info, "explore its recommendations") or not texts_embedded(info):
        return
    rec = current_recommender(info.id)
    n = int(st.columns([1, 3])[0].number_input("Items per list", 1, 100, 10, key="rec_n", persist_state=KEPT))
    st.subheader("A user's recommendations")
    user = st.selectbox("User", rec.ds.users.tolist(), key="rec_user", persist_state=KEPT)
    if user is not None:
        st.markdown(f"**Top {n}**, each with why it is recommended")
        table(rec.recommend(user, n), hide_index=True, width="stretch", key="rec_top", column_config=COLUMN_LABELS,
              column_order=TOP_COLUMNS)  # fmt: skip
        history = rec.history(user)
        with st.expander(f"History of user {plain(user)}: {count_of(len(history), 'item')}, latest first"):
            table(history, hide_index=True, width="stretch", key="rec_history", column_config=COLUMN_LABELS)
    st.subheader("Similar items")
    titles = dict(zip(rec.ds.items["item"].astype(str), rec.titles))
    item = st.selectbox("Item", list(titles), format_func=lambda i: f"{titles[i]} ({i})", key="rec_item", persist_state=KEPT)
    if item is not None:
        table(rec.similar_items(item, n), hide_index=True, width="stretch", key="rec_similar", column_config=COLUMN_LABELS)
    st.subheader("A new catalogue item")
    cols = st.columns(3)
    title = cols[0].text_input("New item title", key="rec_new_title", persist_state=KEPT)
    category = cols[1].text_input("Category", key="rec_new_category", persist_state=KEPT)
    tags = cols[2].text_input("Tags", key="rec_new_tags", persist_state=KEPT)
    description = st.text_area("Description", key="rec_new_description", persist_state=KEPT)
    if st.button("Find users for this item"):
        try:
            table(rec.users_for_new_item(title, description, category, tags, n), hide_index=True, width="stretch",
                  key="rec_new_users", column_config=COLUMN_LABELS)
        except ValueError as exc:
            say("error", str(exc))
    st.subheader("Export")
    export_k = int(st.columns([1, 3])[0].number_input("Items per user in the export", 1, 200, 20, key="rec_export_k", persist_state=KEPT))
    # built on click: ranking every user takes seconds, too long to repeat on each rerun of this tab
    st.download_button(f"Download top-{export_k} for all users (CSV)", partial(service.export_csv, rec, export_k),
                       file_name=f"recommendations_v{info.id}_top{export_k}.csv", mime="text/csv", key="rec_download")
    if not may("analyst"):
        st.caption(f"Nightly refit and export: {'on' if info.nightly_export else 'off'} (changing it needs the analyst role).")
        return
    nightly = st.checkbox("Refit and export every night (worker)", value=info.nightly_export, key=f"rec_nightly_{info.id}")
    if nightly != info.nightly_export:
        store.set_nightly_export(info.id, nightly, export_k)
        say("success", f"Nightly export {'on' if nightly else 'off'} for dataset v{info.id}.")


st.title("Recommendations")
data, evaluation, explore = page_tabs(["Data", "Evaluate", "Explore"], old_param="rec")
for tab, draw in ((data, data_tab), (evaluation, evaluate_tab), (explore, explore_tab)):
    if tab.open:  # only the open tab runs: Explore fits a recommender, which a click on Data must not wait for
        with tab:
            draw()
