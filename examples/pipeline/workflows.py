"""The pipeline's workflows and its launch plan.

``ml_pipeline`` is the one a team runs; the others are its parts, each runnable alone:

- ``prepare``: raw samples → shards → features (``graven.map``, tolerating lost shards)
  → a branch on the data's quality: shuffle it, top it up with more data, or stop;
- ``train``: a subworkflow (inlined into its caller's graph) returning a NamedTuple;
- ``experiment``: prepare + train, as one reproducible recipe, and ``baseline``, a launch
  plan of it with the reference settings as defaults; ``ml_pipeline`` runs ``baseline`` as
  a node, which starts a child execution of its own (its own record, outputs and lineage).

Node ids follow call order (``graven executions get`` shows them as a tree):
``ml_pipeline``: n0 check_registry, n1 prepare, n2 train, n3 baseline, n4 the approval,
n5 publish. ``prepare``: n0 make_dataset, n1 split_shards, n2 the map (elements n2/0 …),
n3 merge_features, n4 assess, n5 the branch (cases n6 shuffle, n7 augment). ``train``: n0
split_train_test, n1 fit, n2 evaluate. So a map element of a run is "n1/n2/3", the
taken case "n1/n5/n7".
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import NamedTuple

import graven
from graven import LaunchPlan, approve, conditional, workflow
from pipeline import modeling
from pipeline.tasks import (
    FeatureSet,
    Metrics,
    Model,
    Release,
    assess,
    augment,
    check_registry,
    cleanup,
    evaluate,
    featurize,
    fit,
    make_dataset,
    merge_features,
    publish,
    shuffle,
    split_shards,
    split_train_test,
)

# Below this fraction of surviving shards the rest is not trusted, however many rows it has.
MIN_COVERAGE = 0.75


class Trained(NamedTuple):
    model: Model
    metrics: Metrics


@workflow
def prepare(
    seed: int,
    size: int,
    shards: int,
    min_rows: int,
    outage_from: int = 0,
    outage_to: int = 0,
    clip: float = modeling.CLIP,
) -> FeatureSet:
    """Features from a fresh data set, or a failure saying why the data cannot be used.

    Each shard is featurized as its own map element (its own attempts, retries and
    lineage), four at a time; up to half of them may fail (min_success_ratio=0.5), and a
    failed shard arrives at merge_features as None. The branch then decides on the result:
    enough shards and rows → shuffle; enough shards but too few rows → retrain with more
    data (augment); too many shards lost → the run fails here, before any training.
    """
    samples = make_dataset(seed=seed, size=size, outage_from=outage_from, outage_to=outage_to)
    featurize_shards = graven.map(
        functools.partial(featurize, clip=clip), concurrency=4, min_success_ratio=0.5
    )
    parts = featurize_shards(shard=split_shards(samples=samples, shards=shards))
    features = merge_features(parts=parts)
    quality = assess(features=features)
    return (
        conditional("data-quality")
        .if_((quality.coverage >= MIN_COVERAGE) & (quality.rows >= min_rows))
        .then(shuffle(features=features, seed=seed))
        .elif_(quality.coverage >= MIN_COVERAGE)
        .then(augment(features=features, rows=min_rows, seed=seed))
        .else_()
        .fail("too many shards were lost to trust the rest of the data")
    )


@workflow
def train(
    features: FeatureSet, epochs: int = 30, learning_rate: float = 0.5, test_fraction: float = 0.25
) -> Trained:
    """A model and its held-out metrics. Called from another workflow it is inlined: its
    nodes run in the caller's execution, nested under the caller's node ("n2/n1")."""
    train_set, test_set = split_train_test(features=features, test_fraction=test_fraction)
    model = fit(train=train_set, epochs=epochs, learning_rate=learning_rate)
    return Trained(model=model, metrics=evaluate(model=model, test=test_set))


@workflow
def experiment(
    seed: int,
    size: int = 400,
    shards: int = 8,
    min_rows: int = 200,
    epochs: int = 30,
    learning_rate: float = 0.5,
) -> Metrics:
    """One training recipe end to end, on clean data: what a baseline is measured with."""
    features = prepare(seed=seed, size=size, shards=shards, min_rows=min_rows)
    return train(features=features, epochs=epochs, learning_rate=learning_rate).metrics


# The reference recipe a candidate model is compared with: fewer epochs, a smaller step.
baseline = LaunchPlan(
    "pipeline.baseline",
    experiment,
    default_inputs={"seed": 1, "epochs": 15, "learning_rate": 0.2},
    description="The reference model a candidate must be compared with before publishing.",
)


@workflow(on_failure=cleanup, failure_policy="fail_after_executable_nodes_complete")
def ml_pipeline(
    registry: str,
    model_name: str = "churn",
    seed: int = 7,
    size: int = 400,
    shards: int = 8,
    min_rows: int = 200,
    outage_from: int = 0,
    outage_to: int = 0,
    epochs: int = 30,
    learning_rate: float = 0.5,
    baseline_seed: int = 1,
) -> Release:
    """Prepare, train, compare with the baseline, wait for approval, publish.

    ``check_registry >> prepare``: no data flows from the registry check, but nothing is
    computed before it passed. The approval ``publish-model`` waits up to a day for
    ``graven approve`` (or the console's button); a rejection, a timeout or any failed
    node runs ``cleanup`` with the error. ``fail_after_executable_nodes_complete`` lets the
    baseline's child execution finish even when the candidate failed, so its metrics are
    there for the post-mortem.
    """
    ready = check_registry(registry=registry)
    features = prepare(
        seed=seed,
        size=size,
        shards=shards,
        min_rows=min_rows,
        outage_from=outage_from,
        outage_to=outage_to,
    )
    ready >> features
    trained = train(features=features, epochs=epochs, learning_rate=learning_rate)
    reference = baseline(seed=baseline_seed)
    model = approve(trained.model, "publish-model", timeout=timedelta(days=1))
    return publish(
        registry=registry,
        name=model_name,
        model=model,
        accuracy=trained.metrics.accuracy,
        baseline_accuracy=reference.accuracy,
    )
