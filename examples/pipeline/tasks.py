"""The steps of the pipeline, each a typed task.

Values between steps are dataclasses, so every intermediate result is a typed,
content-addressed artifact with lineage (``graven lineage``), and a downstream step can
take one field of it by attribute path (``trained.metrics.accuracy``) without a task to
unpack it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from graven import WorkflowError, task
from pipeline import modeling
from pipeline.synthetic import Sample, generate

# A shard with more missing readings than this is not worth featurizing: it fails, and the
# map's min_success_ratio decides whether the run can do without it.
MAX_MISSING = 0.2


@dataclass
class ShardFeatures:
    rows: list[list[float]]
    labels: list[int]
    dropped: int  # samples left out for a missing reading


@dataclass
class FeatureSet:
    rows: list[list[float]]
    labels: list[int]
    shards_used: int
    shards_total: int


@dataclass
class Quality:
    rows: int
    coverage: float  # the fraction of shards that survived featurization


@dataclass
class Model:
    weights: list[float]
    bias: float
    trained_on: int


@dataclass
class Metrics:
    accuracy: float
    loss: float
    test_rows: int


@dataclass
class Release:
    name: str
    version: str  # the model's content digest: one version per distinct model
    accuracy: float
    baseline_accuracy: float
    path: str  # where the model card is, relative to the registry


@task(retries=1)
def check_registry(registry: str) -> None:
    """Fail before any compute is spent if the model registry (a folder) is not writable."""
    folder = Path(registry)
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".probe"
    probe.write_text("ok")
    probe.unlink()


@task
def make_dataset(seed: int, size: int, outage_from: int = 0, outage_to: int = 0) -> list[Sample]:
    """The raw samples: generated from ``seed``, with a sensor outage in
    ``[outage_from, outage_to)`` (none by default)."""
    return generate(seed, size, outage_from, outage_to)


@task
def split_shards(samples: list[Sample], shards: int) -> list[list[Sample]]:
    """``shards`` contiguous slices of nearly equal size (the map runs one element each)."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    size, extra = divmod(len(samples), shards)
    out, start = [], 0
    for i in range(shards):
        end = start + size + (1 if i < extra else 0)
        out.append(samples[start:end])
        start = end
    return out


def feature_rows(samples: list[Sample], clip: float) -> tuple[list[list[float]], list[int]]:
    """The feature rows and labels of the samples that have both readings."""
    rows, labels = [], []
    for s in samples:
        if s.x1 is not None and s.x2 is not None:
            rows.append(modeling.features(s.x1, s.x2, clip))
            labels.append(s.label)
    return rows, labels


@task(retries=1)
def featurize(shard: list[Sample], clip: float = modeling.CLIP) -> ShardFeatures:
    """The feature rows of one shard. Refuses a shard whose readings are mostly missing
    rather than train on what little is left of it."""
    rows, labels = feature_rows(shard, clip)
    missing = len(shard) - len(rows)
    if shard and missing / len(shard) > MAX_MISSING:
        raise ValueError(
            f"{missing} of {len(shard)} samples have missing readings "
            f"(at most {MAX_MISSING:.0%} may)"
        )
    return ShardFeatures(rows=rows, labels=labels, dropped=missing)


@task
def merge_features(parts: list[ShardFeatures | None]) -> FeatureSet:
    """The surviving shards' rows together (a failed shard is None here)."""
    kept = [p for p in parts if p is not None]
    return FeatureSet(
        rows=[row for p in kept for row in p.rows],
        labels=[label for p in kept for label in p.labels],
        shards_used=len(kept),
        shards_total=len(parts),
    )


@task
def assess(features: FeatureSet) -> Quality:
    coverage = features.shards_used / features.shards_total if features.shards_total else 0.0
    return Quality(rows=len(features.rows), coverage=coverage)


@task
def shuffle(features: FeatureSet, seed: int) -> FeatureSet:
    """The rows in a reproducible random order, so a train/test split is not by shard."""
    order = modeling.shuffled(len(features.rows), seed)
    return dataclasses.replace(
        features,
        rows=[features.rows[i] for i in order],
        labels=[features.labels[i] for i in order],
    )


@task
def augment(features: FeatureSet, rows: int, seed: int) -> FeatureSet:
    """More data: fresh samples drawn from the source (another seed, no outage) until there
    are ``rows``, then everything shuffled. Fresh samples rather than copies of the rows,
    so no test row has a twin in the training rows."""
    fresh = generate(seed + 1, max(0, rows - len(features.rows)))
    fresh_rows, fresh_labels = feature_rows(fresh, modeling.CLIP)
    more_rows = features.rows + fresh_rows
    more_labels = features.labels + fresh_labels
    order = modeling.shuffled(len(more_rows), seed)
    return dataclasses.replace(
        features,
        rows=[more_rows[i] for i in order],
        labels=[more_labels[i] for i in order],
    )


@task
def split_train_test(features: FeatureSet, test_fraction: float) -> tuple[FeatureSet, FeatureSet]:
    """The first rows to train on and the last ``test_fraction`` of them to test on (the
    rows come shuffled)."""
    cut = len(features.rows) - max(1, round(len(features.rows) * test_fraction))
    return (
        dataclasses.replace(features, rows=features.rows[:cut], labels=features.labels[:cut]),
        dataclasses.replace(features, rows=features.rows[cut:], labels=features.labels[cut:]),
    )


@task
def fit(train: FeatureSet, epochs: int, learning_rate: float) -> Model:
    weights, bias = modeling.fit(train.rows, train.labels, epochs, learning_rate)
    return Model(weights=weights, bias=bias, trained_on=len(train.rows))


@task
def evaluate(model: Model, test: FeatureSet) -> Metrics:
    hits = sum(
        int((modeling.predict(model.weights, model.bias, row) >= 0.5) == bool(label))
        for row, label in zip(test.rows, test.labels, strict=True)
    )
    return Metrics(
        accuracy=round(hits / len(test.rows), 6) if test.rows else 0.0,
        loss=round(modeling.log_loss(model.weights, model.bias, test.rows, test.labels), 6),
        test_rows=len(test.rows),
    )


@task
def publish(
    registry: str, name: str, model: Model, accuracy: float, baseline_accuracy: float
) -> Release:
    """Write the model card to the registry under the model's content digest. Writing the
    same model again rewrites the same bytes, so a retried attempt is harmless."""
    card = {
        "name": name,
        "weights": model.weights,
        "bias": model.bias,
        "trained_on": model.trained_on,
        "accuracy": accuracy,
        "baseline_accuracy": baseline_accuracy,
    }
    body = json.dumps(card, sort_keys=True).encode()
    version = hashlib.sha256(body).hexdigest()[:12]
    path = f"{name}/{version}.json"
    target = Path(registry, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return Release(
        name=name,
        version=version,
        accuracy=accuracy,
        baseline_accuracy=baseline_accuracy,
        path=path,
    )


@task
def cleanup(registry: str, model_name: str, error: WorkflowError) -> None:
    """The pipeline's on_failure step: record why the run failed beside the models, where
    the people who approve models look (a real pipeline would page someone)."""
    incident = Path(registry, "incidents", f"{model_name}.json")
    incident.parent.mkdir(parents=True, exist_ok=True)
    incident.write_text(json.dumps(dataclasses.asdict(error), indent=2, sort_keys=True))
