from core.nlp.training import TrainingParams, stratified_split


def test_split_is_stratified_seeded_and_disjoint():
    labels = ["x"] * 20 + ["y"] * 10 + ["z"] * 2
    train, val = stratified_split(labels, 0.2, seed=3)
    assert set(train).isdisjoint(val) and len(train) + len(val) == len(labels)
    assert sum(labels[i] == "x" for i in val) == 4 and sum(labels[i] == "y" for i in val) == 2
    assert sum(labels[i] == "z" for i in val) == 1
    assert stratified_split(labels, 0.2, seed=3) == (train, val)


def test_params_resolve_defaults_and_reject_unknown_method():
    assert TrainingParams(method="lora").resolved().learning_rate == 1e-3
    try:
        TrainingParams(method="magic").resolved()
    except ValueError as exc:
        assert "head, lora or full" in str(exc)
    else:
        raise AssertionError("unknown method accepted")
