"""Ticket analytics in chunks (with progress) against one pass over all the tickets: same texts, same run.

    .venv/bin/python benchmarks/ticket_chunks.py [--tickets 2048] [--repeats 3]

The Tickets tab scores an export through ``core.support.assistant.analyse``, which since stop 34 works in chunks of
``ANALYSE_CHUNK`` (256) texts, shortest first, so it can report progress. This times ``analyse`` (encoder, intent and sentiment heads,
decisions; no knowledge base, as a team without one) on texts the project writes itself
(``training_data.customer_messages``), alternating the two ways so a busy machine slows both alike, and checks that
both give the same decisions. Writes benchmarks/results/ticket_chunks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESULTS = Path(__file__).resolve().parent / "results" / "ticket_chunks.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="beacon_ticket_chunks_"))
    os.environ.update({"BEACON_DATA_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "HF_HUB_OFFLINE": "1"})
    from core.auth import WORKER, set_process_actor
    from core.nlp.defaults import install_default_models
    from core.storage import upgrade_database
    from core.support import assistant
    from training_data.customer_messages import customer_messages

    set_process_actor(WORKER)
    upgrade_database()
    install_default_models()
    texts = [text for text, _ in customer_messages(n_per_label=400, seed=5)][: args.tickets]
    assistant.analyse(texts[:64], None)  # load the models once, outside the timing

    def run(chunk: int) -> tuple[float, list[str]]:
        assistant.ANALYSE_CHUNK = chunk
        start = time.perf_counter()
        analysis = assistant.analyse(texts, None, progress=lambda done: None)
        return time.perf_counter() - start, [d.action for d in analysis.decisions]

    times: dict[str, list[float]] = {"one pass": [], "chunks of 256": []}
    decisions = {}
    for _ in range(args.repeats):
        for name, chunk in (("one pass", 10**9), ("chunks of 256", 256)):
            seconds, decisions[name] = run(chunk)
            times[name].append(seconds)
    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "tickets": len(texts), "repeats": args.repeats, "host": platform.node(), "cpu_count": os.cpu_count(),
        "seconds": times, "median_seconds": medians,
        "texts_per_s": {name: round(len(texts) / m, 1) for name, m in medians.items()},
        "chunked_over_one_pass": round(medians["chunks of 256"] / medians["one pass"], 3),
        "same_decisions": decisions["one pass"] == decisions["chunks of 256"],
    }  # fmt: skip
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'way':<16}{'median s':>10}{'texts/s':>10}")
    for name, m in medians.items():
        print(f"{name:<16}{m:>10.2f}{result['texts_per_s'][name]:>10.1f}")
    print(f"chunked / one pass: {result['chunked_over_one_pass']}  same decisions: {result['same_decisions']}")


if __name__ == "__main__":
    main()
