"""`graven lineage`: where an artifact, an execution's outputs or a local file came from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from graven.cli.executions import execution_id
from graven.cli.lineage_tree import LineageView
from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Json, Project
from graven.cli.output import console, print_json, to_dict
from graven.digests import PREFIX
from graven.remote import Remote
from graven.remote_blobs import content_ref
from graven.remote_lineage import Direction

BARE_HASH = re.compile(r"[0-9a-f]{64}")


def install(app: typer.Typer) -> None:
    app.command()(lineage)


def lineage(
    subject: Annotated[
        str | None,
        typer.Argument(
            help="An artifact (sha256:<hex>) or an execution (NAME or PROJECT/DOMAIN/NAME)."
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Instead: the artifacts holding this file's content."),
    ] = None,
    upstream: Annotated[
        bool, typer.Option("--upstream", help="Towards the producers (the default).")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="Towards the consumers; with --upstream: both.")
    ] = False,
    depth: Annotated[int, typer.Option(help="Steps to walk (0: no limit).")] = 0,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Show where an artifact or an execution's outputs came from, or what they fed."""
    if (subject is None) == (file is None):
        raise ValueError("give an ARTIFACT or an EXECUTION, or --file PATH (one of them)")
    direction: Direction = (
        "both" if upstream and downstream else "downstream" if downstream else "upstream"
    )
    walk = {"upstream": direction != "downstream", "downstream": direction != "upstream"}
    with Remote(endpoint or None) as remote:
        if file is not None:
            ref = content_ref(file)
            found = remote.find_by_content(ref)
            if not found:
                raise ValueError(f"no artifact holds the content of {file} ({ref.digest})")
            graphs = [(a, remote.lineage(a.hash, direction, depth)) for a in found]
            if json:
                print_json(
                    {
                        "content_hash": ref.digest,
                        "found": [
                            {"artifact": to_dict(a), "lineage": to_dict(g)} for a, g in graphs
                        ],
                    }
                )
                return
            console.print(f"{file} ({ref.digest}) is held by {len(found)} artifact(s)")
            for artifact, graph in graphs:
                console.print(LineageView(graph).artifact_tree(artifact.hash, **walk))
            return
        assert subject is not None
        artifact_hash = _artifact_hash(subject)
        if artifact_hash is not None:
            graph = remote.lineage(artifact_hash, direction, depth)
            if json:
                print_json(graph)
                return
            console.print(LineageView(graph).artifact_tree(artifact_hash, **walk))
            return
        eid = execution_id(subject, project, domain)
        graph = remote.lineage(eid, direction, depth)
    if json:
        print_json(graph)
        return
    console.print(LineageView(graph).execution_tree(eid, **walk))


def _artifact_hash(subject: str) -> str | None:
    """``sha256:<hex>`` (or the bare hex) of an artifact; None for an execution name."""
    bare = subject.removeprefix(PREFIX)
    if BARE_HASH.fullmatch(bare):
        return PREFIX + bare
    if subject.startswith(PREFIX):
        raise ValueError(f"{subject!r} is not an artifact hash (sha256: and 64 hex digits)")
    return None
