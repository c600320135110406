"""Speed of the two base encoders (fast: all-MiniLM-L6-v2, accurate: all-mpnet-base-v2) on this machine, through
core's own code: embedding (inference) and one training step (LoRA and full) per token, the numbers behind the
training time estimate (``core.nlp.training.estimate_training_seconds``).

    .venv/bin/python benchmarks/base_encoders.py [--texts 256] [--steps 3]

Texts: Financial PhraseBank 50agree_train sentences from ../shared/data (only their lengths matter here). Writes
benchmarks/results/base_encoders.json; the accurate encoder must be installed (`python -m core setup`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.nlp.base_model import BASE_ENCODERS, tokenize  # noqa: E402
from core.nlp.defaults import read_labelled_csv  # noqa: E402
from core.nlp.device import autocast, choose_device, place, training_dtype  # noqa: E402
from core.nlp.sentence_encoder import get_sentence_encoder  # noqa: E402
from core.nlp.store import new_base_model  # noqa: E402
from core.nlp.training import TrainingParams, _lora_wrapped  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "financial_phrasebank" / "50agree_train.csv"
RESULTS = ROOT / "benchmarks" / "results" / "base_encoders.json"
MAX_LENGTH = 128


def tokens_in(texts: list[str], base: str) -> int:
    return int(tokenize(texts, MAX_LENGTH, "cpu", base)["attention_mask"].sum())


def embed_speed(base: str, texts: list[str]) -> dict:
    encoder = get_sentence_encoder(base)
    encoder.encode(texts[:8])  # warm-up
    started = time.perf_counter()
    encoder.encode(texts)
    seconds = time.perf_counter() - started
    return {"texts_per_s": round(len(texts) / seconds, 1), "s_per_token": seconds / tokens_in(texts, base)}


def train_step_speed(base: str, method: str, texts: list[str], steps: int) -> dict:
    device = choose_device("auto")
    model = new_base_model(["a", "b", "c"], base)
    trainable = _lora_wrapped(model, TrainingParams(method="lora", base=base)) if method == "lora" else model
    place(trainable, device, train=True)
    optimizer = torch.optim.AdamW([p for p in trainable.parameters() if p.requires_grad], lr=1e-5)
    batches = [texts[i * 32 : (i + 1) * 32] for i in range(steps + 1)]
    tokens, seconds = 0, 0.0
    for n, batch in enumerate(batches):
        started = time.perf_counter()
        with autocast(device, training_dtype(device)):
            inputs = tokenize(batch, MAX_LENGTH, device, base)
            loss = trainable(**inputs, labels=torch.zeros(len(batch), dtype=torch.long, device=device)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if n:  # the first step warms up
            seconds += time.perf_counter() - started
            tokens += tokens_in(batch, base)
    return {"s_per_token": seconds / tokens, "rows_per_s": round(32 * steps / seconds, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} not available (../shared is absent)")
        return 1
    texts = [t for t, _ in read_labelled_csv(DATA)][: max(args.texts, 32 * (args.steps + 1))]
    load_before = os.getloadavg()
    results = {}
    for base in BASE_ENCODERS:
        results[base] = {"embed": embed_speed(base, texts[: args.texts])}
        for method in ("lora", "full"):
            results[base][method] = train_step_speed(base, method, texts, args.steps)
    ratios = {k: round(results["accurate"][k]["s_per_token"] / results["fast"][k]["s_per_token"], 2) for k in ("embed", "lora", "full")}
    print(f"{'base':<9} {'embed texts/s':>14} {'embed s/token':>14} {'lora s/token':>13} {'full s/token':>13}")
    for base, r in results.items():
        embed, lora, full = r["embed"], r["lora"], r["full"]
        times = f"{embed['s_per_token']:>14.2e} {lora['s_per_token']:>13.2e} {full['s_per_token']:>13.2e}"
        print(f"{base:<9} {embed['texts_per_s']:>14} {times}")
    print(f"accurate / fast time per token: {ratios}")
    out = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "device": choose_device("auto"),
                    "torch": torch.__version__, "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "texts": f"{args.texts} Financial PhraseBank 50agree_train sentences (embedding), {args.steps} steps of 32 (training)",
        "max_length": MAX_LENGTH,
        "results": results,
        "accurate_over_fast": ratios,
    }  # fmt: skip
    RESULTS.write_text(json.dumps(out, indent=1))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
