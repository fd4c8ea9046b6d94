"""Cache keys: equal exactly when their effective components are equal."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from graven.data_plane.cache_keys import cache_key, key_components
from graven.literals import to_literal
from graven.types import literal_type_of
from graven.v1.identifier_pb2 import RESOURCE_TYPE_TASK, Identifier
from graven.v1.interface_pb2 import TypedInterface, Variable
from graven.v1.literals_pb2 import Literal
from graven.v1.task_pb2 import (
    CachePolicy,
    CodeReference,
    Task,
    TaskMetadata,
    TaskSpec,
    TaskTemplate,
)

NAMES = ("a", "b", "c")


@dataclass(frozen=True)
class Config:
    """Everything a key could depend on, drawn from small sets so that equal draws are common."""

    project: str
    domain: str
    name: str
    version: str
    output_type: type
    code_digest: str
    cache_version: str
    ignore: frozenset[str]
    inputs: tuple[tuple[str, int], ...]

    def task(self) -> Task:
        interface = TypedInterface(
            inputs=[Variable(name=n, type=literal_type_of(int)) for n, _ in self.inputs],
            outputs=[Variable(name="o0", type=literal_type_of(self.output_type))],
        )
        template = TaskTemplate(
            interface=interface,
            code=CodeReference(
                bundle_digest="sha256:" + "0" * 64,
                module="m",
                function="f",
                code_digest=self.code_digest,
            ),
            metadata=TaskMetadata(
                cache=CachePolicy(
                    enabled=True, version=self.cache_version, ignore_inputs=sorted(self.ignore)
                )
            ),
        )
        task_id = Identifier(
            resource_type=RESOURCE_TYPE_TASK,
            project=self.project,
            domain=self.domain,
            name=self.name,
            version=self.version,
        )
        return Task(id=task_id, spec=TaskSpec(template=template))

    def literals(self) -> dict[str, Literal]:
        return {name: to_literal(value, int) for name, value in self.inputs}

    def key(self) -> str:
        return cache_key(key_components(self.task(), self.literals()))

    def effective(self) -> tuple[object, ...]:
        """What the key is meant to depend on: not the task version, not the code digest
        when an explicit cache version stands for it, not the values of ignored inputs."""
        return (
            self.project,
            self.domain,
            self.name,
            self.output_type,
            tuple(n for n, _ in self.inputs),
            self.cache_version or self.code_digest,
            bool(self.cache_version),
            self.ignore,
            frozenset((n, v) for n, v in self.inputs if n not in self.ignore),
        )


configs = st.builds(
    Config,
    project=st.sampled_from(["p", "q"]),
    domain=st.sampled_from(["dev", "prod"]),
    name=st.sampled_from(["m.f", "m.g"]),
    version=st.sampled_from(["v1", "v2"]),
    output_type=st.sampled_from([int, str]),
    code_digest=st.sampled_from(["sha256:" + "1" * 64, "sha256:" + "2" * 64]),
    cache_version=st.sampled_from(["", "1", "2"]),
    ignore=st.frozensets(st.sampled_from(NAMES)),
    inputs=st.lists(
        st.tuples(st.sampled_from(NAMES), st.integers(0, 1)), unique_by=lambda p: p[0]
    ).map(lambda pairs: tuple(sorted(pairs))),
)


@given(configs, configs)
def test_keys_are_equal_exactly_when_their_effective_components_are(a: Config, b: Config) -> None:
    assert (a.key() == b.key()) == (a.effective() == b.effective())


@given(configs, st.randoms())
def test_the_order_inputs_arrive_in_does_not_change_the_key(
    config: Config, rng: random.Random
) -> None:
    literals = list(config.literals().items())
    rng.shuffle(literals)
    components = key_components(config.task(), dict(literals))
    assert cache_key(components) == config.key()


@given(
    st.dictionaries(st.text(max_size=3), st.integers(-(2**63), 2**63 - 1), max_size=6), st.randoms()
)
def test_a_dict_input_keys_on_its_content_not_its_construction_order(
    value: dict[str, int], rng: random.Random
) -> None:
    items = list(value.items())
    rng.shuffle(items)
    config = Config("p", "dev", "m.f", "v1", int, "sha256:" + "1" * 64, "", frozenset(), ())
    task = config.task()
    first = key_components(task, {"d": to_literal(value, dict[str, int])})
    second = key_components(task, {"d": to_literal(dict(items), dict[str, int])})
    assert cache_key(first) == cache_key(second)


def test_the_components_say_what_the_key_was_made_of() -> None:
    config = Config(
        "p",
        "dev",
        "m.f",
        "v1",
        int,
        "sha256:" + "1" * 64,
        "",
        frozenset({"b"}),
        (("a", 1), ("b", 0)),
    )
    components = key_components(config.task(), config.literals())
    assert components.task == Identifier(project="p", domain="dev", name="m.f")
    assert components.code_digest == "sha256:" + "1" * 64
    assert components.cache_version == ""
    assert dict(components.inputs) == {"a": to_literal(1, int).hash}
    assert list(components.ignored_inputs) == ["b"]
    assert cache_key(components).startswith("sha256:")
