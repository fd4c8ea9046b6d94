"""`graven cache`: why a node hit or missed, what is cached, and eviction."""

from __future__ import annotations

import datetime
import itertools
from typing import Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from graven.cli.executions import ExecutionName, execution_id
from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Json, Project
from graven.cli.output import console, full_name, print_json, short_digest, table, when
from graven.remote import Remote
from graven.timeformats import nanos_to_timedelta, parse_duration_nanos
from graven.v1 import cache_pb2
from graven.v1 import execution_pb2 as ex

cache_app = typer.Typer(
    help="Why nodes hit or missed the cache, what is cached, and eviction.",
    no_args_is_help=True,
)


def install(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
    cache_app.command()(explain)
    cache_app.command("list")(list_entries)
    cache_app.command()(evict)


def explain(
    execution: ExecutionName,
    node: Annotated[str, typer.Argument(help="The node id, as `graven executions get` shows.")],
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Say whether a node hit or missed the cache, and which key component changed."""
    eid = execution_id(execution, project, domain)
    with Remote(endpoint or None) as remote:
        answer = remote.cache_explain(eid, node)
    if json:
        print_json(answer)
        return
    status = ex.CacheStatus.Name(answer.status).removeprefix("CACHE_STATUS_")
    style = "green" if status == "HIT" else "yellow"
    tree = Tree(f"node [bold]{escape(node)}[/] of {escape(full_name(eid))}: [{style}]{status}[/]")
    if answer.reason:
        tree.add(escape(answer.reason))
    if answer.key:
        tree.add(f"key {answer.key}")
        _components(tree.add("made of"), answer.components, set(answer.changed))
    if answer.changed:
        tree.add(f"[yellow]changed[/]: {escape(', '.join(answer.changed))}")
    if answer.entry.key:
        kind = "reused entry" if status == "HIT" else "nearest earlier entry"
        _entry(tree.add(kind), answer.entry)
    console.print(tree)


def list_entries(
    task: Annotated[str, typer.Option(help="Only this task name.")] = "",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """List cache entries, newest first."""
    with Remote(endpoint or None) as remote:
        found = list(itertools.islice(remote.cache_entries(project, domain, task), limit))
    if json:
        print_json(found)
        return
    table(
        f"cache entries in {project}/{domain}",
        ["task", "version", "key", "outputs", "computed by", "created"],
        (
            (
                e.task_id.name,
                e.task_id.version,
                short_digest(e.key),
                ", ".join(sorted(e.outputs)),
                # The table is of one project and domain: the execution's name says enough.
                f"{e.source.execution_id.name} {e.source.node_id}",
                when(e.created_at),
            )
            for e in found
        ),
    )


def evict(
    task: Annotated[str, typer.Option(help="Entries of this task name.")] = "",
    key: Annotated[str, typer.Option(help="The entry with this key (sha256:…).")] = "",
    older_than: Annotated[
        str, typer.Option(help="Entries created longer ago than this (30m, 12h, 7d…).")
    ] = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Stop reusing the cache entries every given filter matches (artifacts stay stored)."""
    if not (task or key or older_than):
        raise ValueError("cache evict needs a filter: --task, --key or --older-than")
    created_before = None
    if older_than:
        age = parse_duration_nanos(older_than)
        if age < 0:
            raise ValueError(f"--older-than {older_than!r} must not be negative")
        try:
            created_before = datetime.datetime.now(datetime.UTC) - nanos_to_timedelta(age)
        except OverflowError:
            # Past what a timedelta holds (999999999 days) or before year 1: no entry can be
            # that old, and saying so beats a traceback.
            raise ValueError(
                f"--older-than {older_than!r} reaches before the year 1; give a shorter age"
            ) from None
    with Remote(endpoint or None) as remote:
        evicted = remote.cache_evict(
            project, domain, task_name=task, key=key, created_before=created_before
        )
    if json:
        print_json({"evicted": evicted})
        return
    console.print(f"Evicted {evicted} cache entr{'y' if evicted == 1 else 'ies'}.")


def _components(tree: Tree, components: cache_pb2.CacheKeyComponents, changed: set[str]) -> None:
    def line(field: str, text: str) -> None:
        mark = "[yellow]* [/]" if field in changed else ""
        tree.add(f"{mark}{escape(text)}")

    t = components.task
    line("task", f"task {t.project}/{t.domain}/{t.name}")
    line("interface_digest", f"interface {components.interface_digest}")
    if components.cache_version:
        line("cache_version", f"cache version {components.cache_version}")
    else:
        line("code_digest", f"code {components.code_digest}")
    for name, value in sorted(components.inputs.items()):
        line(f"inputs.{name}", f"input {name} = {value}")
    if components.ignored_inputs:
        line("ignored_inputs", f"ignored inputs: {', '.join(components.ignored_inputs)}")


def _entry(tree: Tree, entry: cache_pb2.CacheEntry) -> None:
    source = entry.source
    tree.add(escape(f"computed by {full_name(source.execution_id)} node {source.node_id}"))
    tree.add(escape(f"task {entry.task_id.name} {entry.task_id.version}"))
    tree.add(f"created {when(entry.created_at)}")
    for name, artifact_hash in sorted(entry.outputs.items()):
        tree.add(escape(f"output {name} = {artifact_hash}"))
