"""``python -m core recommend`` (check files, compare recommenders, export top-k) and ``recommend-job`` (a queued job)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from core.cli import input_sheet


def cmd_recommend(args: argparse.Namespace) -> int:
    from core.recommend import store
    from core.recommend.data import dataset_from_check, load_files
    from core.recommend.embeddings import item_embeddings
    from core.recommend.evaluate import EvalConfig, evaluate
    from core.recommend.models import serving_text_weight
    from core.recommend.service import Recommender, export_csv

    if not (args.evaluate or args.export):
        raise ValueError("say what to do: --evaluate (print the model comparison as JSON) and/or --export FILE (top-k per user)")
    with (input_sheet(Path(args.interactions), args.interactions_sheet, "--interactions-sheet") as interactions,
          input_sheet(Path(args.items), args.items_sheet, "--items-sheet") as items):
        check, mapping = load_files(interactions, items, args.min_rating)
    for level in ("warning", "info"):
        for message in check.messages(level):
            print(f"{level}: {message}", file=sys.stderr)
    if not check.ok:
        raise ValueError("; ".join(check.messages("error")))
    ds = dataset_from_check(check)
    if args.save:
        from core.storage import upgrade_database

        upgrade_database()
        saved = store.save_dataset(check, args.save, Path(args.interactions).name, Path(args.items).name, mapping)
        ds.version = saved.id
        if saved.already_saved:
            print(f"the same data is dataset version {saved.label}: nothing new saved", file=sys.stderr)
        else:
            print(f"saved as dataset version v{ds.version} ({args.save})", file=sys.stderr)
    embeddings = item_embeddings(ds.texts(), _say_embedded)  # silent when the catalogue's texts are cached
    text_weight = None
    if args.evaluate:
        cfg = EvalConfig(protocol=args.protocol, test_ratio=args.test_ratio, seed=args.seed, k=args.k)
        result = evaluate(ds, embeddings, cfg)
        text_weight = result.meta["text_weight"]
        if ds.version is not None:
            store.save_evaluation(ds.version, result)
        print(json.dumps({"setup": result.meta, "models": result.rows}, indent=2))
    if args.export:
        recommender = Recommender(ds, embeddings, serving_text_weight(text_weight))
        Path(args.export).write_bytes(export_csv(recommender, args.k))
        print(f"wrote top-{args.k} recommendations for {ds.n_users:,} users -> {args.export}", file=sys.stderr)
    return 0


def _say_embedded(done: int, total: int) -> None:
    """A large catalogue takes a minute or more to embed on a CPU: say how far it is."""
    from core.recommend.embeddings import EMBEDDING_STAGE

    print(f"{EMBEDDING_STAGE}: {done:,} of {total:,}", file=sys.stderr, flush=True)


def cmd_recommend_job(args: argparse.Namespace) -> int:
    from core.recommend.jobs import execute_job

    logging.getLogger("beacon.recommend").setLevel(logging.INFO)
    job = execute_job(args.job_id)
    print(f"recommendation job {job.id}: {job.status}" + (f" ({job.error})" if job.error else ""))
    return 0 if job.status == "succeeded" else 1


def register(sub: argparse._SubParsersAction) -> None:
    rec = sub.add_parser("recommend", help="check interactions + catalogue, compare recommenders (JSON), export top-k per user")
    rec.add_argument("--interactions", required=True, help="CSV: user, item, optional rating / event type / timestamp")
    rec.add_argument("--items", required=True, help="CSV: item, title, optional description / category / tags / price")
    rec.add_argument("--interactions-sheet", help="with an .xlsx --interactions file: the sheet to read (default: the first)")
    rec.add_argument("--items-sheet", help="with an .xlsx --items file: the sheet to read (default: the first)")
    rec.add_argument("--min-rating", type=float, help="only interactions rated at least this count as relevant (default: all)")
    rec.add_argument("--evaluate", action="store_true", help="fit and compare all models on held-out data; print JSON")
    rec.add_argument("--protocol", choices=("random", "last"), default="random", help="random per-user split or leave-last-out")
    rec.add_argument("--test-ratio", type=float, default=0.25, help="held-out share per user (random protocol)")
    rec.add_argument("--seed", type=int, default=42, help="split seed")
    rec.add_argument("--k", type=int, default=10, help="list length for the metrics and the export")
    rec.add_argument("--export", help="write top-k recommendations for every user to this CSV")
    rec.add_argument("--save", metavar="NAME", help="also store the files as a dataset version (and the evaluation)")
    rec.set_defaults(func=cmd_recommend)
    rec_job = sub.add_parser("recommend-job", help="execute a queued recommendation job (save or evaluate; started by the app)")
    rec_job.add_argument("job_id", type=int)
    rec_job.set_defaults(func=cmd_recommend_job)
