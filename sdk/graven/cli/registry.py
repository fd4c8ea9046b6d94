"""Commands that register and read versioned entities."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.status import Status

from graven.cli.describe import describe_entity
from graven.cli.execution_diff import diff_executions, is_execution_kind
from graven.cli.kinds import parse_kind
from graven.cli.options import DEFAULT_DOMAIN, DEFAULT_PROJECT, Domain, Endpoint, Json, Project
from graven.cli.output import console, print_json, short_digest, table, to_dict, when
from graven.remote import Remote
from graven.v1 import identifier_pb2 as idl

KIND_NAMES = {
    idl.RESOURCE_TYPE_TASK: "task",
    idl.RESOURCE_TYPE_WORKFLOW: "workflow",
    idl.RESOURCE_TYPE_LAUNCH_PLAN: "launch plan",
}


def install(app: typer.Typer) -> None:
    app.command()(register)
    app.command()(get)
    app.command()(versions)
    app.command()(diff)


def register(
    path: Annotated[Path, typer.Argument(help="A Python file or a project folder.")],
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    version: Annotated[
        str | None,
        typer.Option(help="Version for every entity (e.g. a git sha); default: content hash."),
    ] = None,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Register every task, workflow and launch plan found under PATH."""
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    with Remote(endpoint or None) as remote, Status("Packing and registering…", console=console):
        results = remote.register(path, project=project, domain=domain, version=version)
    if json:
        print_json({"registered": [{"id": to_dict(r.id), "created": r.created} for r in results]})
        return
    table(
        f"Registered in {project}/{domain}",
        ["kind", "name", "version", ""],
        (
            (
                KIND_NAMES[r.id.resource_type],
                r.id.name,
                r.id.version,
                "created" if r.created else "unchanged",
            )
            for r in results
        ),
    )


def get(
    kind: Annotated[str, typer.Argument(help="tasks, workflows or launchplans.")],
    name: Annotated[str | None, typer.Argument(help="Show this entity in full.")] = None,
    version: Annotated[str, typer.Option(help="With NAME: this version (default latest).")] = "",
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """List the registered names of a kind, or show one entity."""
    k = parse_kind(kind)
    with Remote(endpoint or None) as remote:
        if name is None:
            names = list(remote.list_names(k.resource_type, project, domain))
            if json:
                print_json(names)
                return
            table(
                f"{k.value} in {project}/{domain}",
                ["name", "latest version", "versions", "updated"],
                (
                    (n.name, n.latest_version, str(n.version_count), when(n.updated_at))
                    for n in names
                ),
            )
            return
        entity_id = idl.Identifier(
            resource_type=k.resource_type,
            project=project,
            domain=domain,
            name=name,
            version=version,
        )
        entity = remote.get(entity_id)
    if json:
        print_json(entity)
        return
    describe_entity(entity)


def versions(
    kind: Annotated[str, typer.Argument(help="tasks, workflows or launchplans.")],
    name: str,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """List the versions of one entity, newest first."""
    k = parse_kind(kind)
    with Remote(endpoint or None) as remote:
        found = list(remote.list_versions(k.resource_type, project, domain, name))
    if not found:
        # Every registered entity has a version: none means the name is unknown (a typo, or
        # another project), which an empty table and exit 0 would hide from a script.
        raise ValueError(f"no {k.singular} named {name!r} in {project}/{domain}")
    if json:
        print_json(found)
        return
    table(
        f"{k.singular} {name} in {project}/{domain}",
        ["version", "registered", "digest", "code digest"],
        (
            (v.id.version, when(v.created_at), short_digest(v.digest), short_digest(v.code_digest))
            for v in found
        ),
    )


def diff(
    kind: Annotated[str, typer.Argument(help="tasks, workflows, launchplans, or execution.")],
    name: Annotated[str, typer.Argument(help="The entity's name; or execution A.")],
    version_a: Annotated[str, typer.Argument(help="The first version; or execution B.")],
    version_b: Annotated[
        str | None, typer.Argument(help="The second version (entities only).")
    ] = None,
    project: Project = DEFAULT_PROJECT,
    domain: Domain = DEFAULT_DOMAIN,
    json: Json = False,
    endpoint: Endpoint = "",
) -> None:
    """Show what differs between two versions of an entity, or two executions.

    KIND NAME V1 V2 compares the specs of two versions; `execution A B` compares two
    executions node by node: task version, code, inputs and outputs."""
    if is_execution_kind(kind):
        if version_b is not None:
            raise ValueError("diff execution takes two executions: graven diff execution A B")
        diff_executions(
            name, version_a, project=project, domain=domain, json=json, endpoint=endpoint
        )
        return
    k = parse_kind(kind)
    if version_b is None:
        raise ValueError(f"diff {kind} takes a name and two versions: NAME VERSION_A VERSION_B")
    with Remote(endpoint or None) as remote:
        differences = remote.diff(k.resource_type, project, domain, name, version_a, version_b)
    if json:
        print_json(differences)
        return
    if not differences:
        console.print(f"{version_a} and {version_b} have the same spec.")
        return
    table(
        f"{k.singular} {name}: {version_a} → {version_b}",
        ["field", version_a, version_b],
        ((d.path, d.value_a, d.value_b) for d in differences),
    )
