"""The ``tierdesk`` command line.

Every command takes ``--config FILE`` (default ``config.toml``, then the example config);
listing commands take ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from adapters import runtime as rt
from bot.domain import Status, Ticket
from bot.errors import ConfigError
from bot.knowledge import load_markdown_dir
from bot.knowledge.markdown import to_markdown
from bot.settings import Settings, find_config, load_settings, summarize


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        if args.command == "check-config":
            return _check_config(args)
        settings = _settings(args.config)
        return int(asyncio.run(args.handler(settings, args)) or 0)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tierdesk tickets | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: config.toml, then config.example.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="tierdesk", parents=[common], description="A tiered support desk that lives in chat."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="run the desk (console + enabled adapters)")
    p.set_defaults(handler=_run)

    p = sub.add_parser("check-config", parents=[common], help="validate a config and summarise it")
    p.add_argument("file", nargs="?", help="the file to check (default: --config)")

    p = sub.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    p.set_defaults(handler=_migrate)

    kb = sub.add_parser("kb", parents=[common], help="knowledge base").add_subparsers(
        dest="kb_command", metavar="KB_COMMAND", required=True
    )
    p = kb.add_parser("search", parents=[common], help='rank articles for a query ("-": stdin)')
    p.add_argument("query", help='the question, or "-" to read one query per line from stdin')
    p.add_argument("--limit", type=int, default=None, help="at most this many results")
    p.add_argument(
        "--threshold",
        type=_score,
        default=None,
        help="minimum score 0-100 (default: the configured one; 0 shows the closest anyway)",
    )
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_kb_search)
    p = kb.add_parser("import", parents=[common], help="import a folder of Markdown articles")
    p.add_argument("dir", type=Path)
    p.set_defaults(handler=_kb_import)
    p = kb.add_parser("list", parents=[common], help="every article the desk knows")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_kb_list)
    p = kb.add_parser("stats", parents=[common], help="which articles help, which never did")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_kb_stats)
    p = kb.add_parser("export", parents=[common], help="write every article as a Markdown file")
    p.add_argument("dir", type=Path, help="folder for the <id>.md files (made if missing)")
    p.set_defaults(handler=_kb_export)
    p = kb.add_parser("remove", parents=[common], help="delete an article saved in the database")
    p.add_argument("id", help="the article's id (see kb list)")
    p.set_defaults(handler=_kb_remove)

    sla_cmd = sub.add_parser("sla", parents=[common], help="SLA look-ups for leads")
    sla_sub = sla_cmd.add_subparsers(dest="sla_command", metavar="SLA_COMMAND", required=True)
    p = sla_sub.add_parser("due", parents=[common], help="due times of a ticket opened at --at")
    p.add_argument("--priority", required=True, help="S1, S2, …")
    p.add_argument(
        "--at",
        required=True,
        help="ISO-8601 with an offset, or a wall time read in the calendar's zone",
    )
    p.add_argument("--category", help="pick the category's SLA policy")
    p.add_argument("--zone", help="the requester's time zone (default: the desk's)")
    p.add_argument("--json", action="store_true", help="JSON output (ISO-8601 UTC instants)")
    p.set_defaults(handler=_sla_due)

    oncall_cmd = sub.add_parser("oncall", parents=[common], help="who is on call")
    oncall_cmd.add_argument("--tier", help="only this tier")
    oncall_cmd.add_argument("--at", help="instant to ask about (default: now)")
    oncall_cmd.add_argument("--json", action="store_true", help="JSON output")
    oncall_cmd.set_defaults(handler=_oncall)
    oncall_sub = oncall_cmd.add_subparsers(dest="oncall_command", metavar="check")
    p = oncall_sub.add_parser("check", parents=[common], help="list gaps with nobody on call")
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--tier", help="only this tier")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_oncall_check)

    p = sub.add_parser("tickets", parents=[common], help="a table of tickets")
    p.add_argument(
        "--status",
        choices=[s.value for s in Status],
        action="append",
        help="only this status (repeatable)",
    )
    p.add_argument("--tier", action="append", help="only this tier (repeatable)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_tickets)
    return parser


def _settings(path: str | None) -> Settings:
    return load_settings(find_config(path, Path.cwd()), os.environ)


def _check_config(args: argparse.Namespace) -> int:
    path = find_config(args.file or args.config, Path.cwd())
    settings = load_settings(path, os.environ)
    rt.load_sources(settings)  # Markdown errors are configuration errors too
    rt.check_adapter_options(settings)  # and so are an enabled adapter's own options
    print(f"{path}: OK")
    for line in summarize(settings):
        print("  " + line)
    return 0


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    await rt.run(settings)
    return 0


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    await upgrade(settings.storage_url)
    print(f"database at {rt.safe_url(settings.storage_url)} is up to date")
    return 0


async def _kb_search(
    settings: Settings, args: argparse.Namespace, *, stdin: TextIO | None = None
) -> int:
    runtime = await rt.build(settings)
    try:
        index = runtime.knowledge
        if args.query == "-":
            for line in stdin or sys.stdin:
                query = line.rstrip("\n")
                found = index.search(query, limit=args.limit, threshold=args.threshold)
                print(
                    json.dumps(
                        {"query": query, "results": [_hit(s) for s in found]}, ensure_ascii=False
                    ),
                    flush=True,
                )
            return 0
        found = index.search(args.query, limit=args.limit, threshold=args.threshold)
        if args.json:
            print(json.dumps([_hit(s) for s in found], ensure_ascii=False, indent=2))
        elif not found:
            print("No article matches well enough (--threshold 0 shows the closest ones).")
        else:
            for rank, suggestion in enumerate(found, 1):
                print(
                    f"{rank}. {suggestion.score:5.1f}  {suggestion.article.title}  "
                    f"({suggestion.article.id})"
                )
        return 0
    finally:
        await runtime.close()


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a score from 0 to 100")
    return value


def _hit(suggestion: Any) -> dict[str, Any]:
    return {
        "id": suggestion.article.id,
        "title": suggestion.article.title,
        "score": round(suggestion.score, 2),
    }


async def _kb_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        articles = load_markdown_dir(args.dir)
    except (ValueError, OSError) as exc:
        print(f"kb import: {exc}", file=sys.stderr)
        return 1
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            for article in articles:
                await uow.knowledge.put(article)
            await uow.commit()
    finally:
        await runtime.close()
    print(f"imported {len(articles)} articles from {args.dir}")
    return 0


async def _kb_list(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await rt.build(settings)
    try:
        articles = sorted(runtime.knowledge.articles(), key=lambda a: a.id)
    finally:
        await runtime.close()
    if args.json:
        print(
            json.dumps(
                [
                    {"id": a.id, "title": a.title, "source": a.source, "keywords": list(a.keywords)}
                    for a in articles
                ],
                indent=2,
            )
        )
    else:
        for article in articles:
            print(f"{article.id:<32} {article.title}")
    return 0


async def _kb_stats(settings: Settings, args: argparse.Namespace) -> int:
    """Most helpful first (requesters' "This solved it"), then the never-helpful ones."""
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            helpful = await uow.knowledge.helpful_counts()
        articles = {a.id: a for a in runtime.knowledge.articles()}
    finally:
        await runtime.close()
    ranked = sorted(articles.values(), key=lambda a: (-helpful.get(a.id, 0), a.id))
    gone = sorted(set(helpful) - set(articles))  # resolutions of since-removed articles
    if args.json:
        rows = [{"id": a.id, "title": a.title, "helpful": helpful.get(a.id, 0)} for a in ranked]
        rows += [{"id": i, "title": None, "helpful": helpful[i]} for i in gone]
        print(
            json.dumps(
                {
                    "articles": rows,
                    "never_helpful": [a.id for a in ranked if not helpful.get(a.id)],
                },
                indent=2,
            )
        )
        return 0
    print(f"{'helpful':>7}  article")
    for article in ranked:
        if helpful.get(article.id):
            print(f"{helpful[article.id]:>7}  {article.id}  {article.title}")
    for article_id in gone:
        print(f"{helpful[article_id]:>7}  {article_id}  (no longer in the knowledge base)")
    never = [a.id for a in ranked if not helpful.get(a.id)]
    print(f"never helpful ({len(never)}): {', '.join(never) if never else '-'}")
    return 0


async def _kb_export(settings: Settings, args: argparse.Namespace) -> int:
    """Files an agent can edit and ``kb import`` again; never overwrites a file."""
    runtime = await rt.build(settings)
    try:
        articles = sorted(runtime.knowledge.articles(), key=lambda a: a.id)
    finally:
        await runtime.close()
    return _write_export(args.dir, articles)


def _write_export(folder: Path, articles: Sequence[Any]) -> int:
    clashes = [folder / f"{a.id}.md" for a in articles if (folder / f"{a.id}.md").exists()]
    if clashes:
        print(f"kb export: {clashes[0]} already exists; nothing written", file=sys.stderr)
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / f"{article.id}.md").write_text(to_markdown(article), encoding="utf-8")
    print(f"exported {len(articles)} articles to {folder}")
    return 0


async def _kb_remove(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            removed = await uow.knowledge.remove(args.id)
            await uow.commit()
        article = runtime.knowledge.get(args.id)
    finally:
        await runtime.close()
    if removed:
        print(f"removed article {args.id!r}")
        return 0
    if article is not None:
        print(
            f"kb remove: {args.id!r} comes from {article.source}; delete or edit that file",
            file=sys.stderr,
        )
    else:
        print(f"kb remove: no article {args.id!r} (see kb list)", file=sys.stderr)
    return 1


async def _tickets(settings: Settings, args: argparse.Namespace) -> int:
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            tickets = await uow.tickets.list(
                statuses=[Status(s) for s in args.status or ()],
                tiers=args.tier or (),
                limit=args.limit,
            )
            names = await uow.people.names(
                person_id for t in tickets for person_id in (t.requester_id, t.assignee_id)
            )
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps([_ticket_json(t, names) for t in tickets], indent=2, ensure_ascii=False))
        return 0
    if not tickets:
        print("No tickets.")
        return 0
    print(
        f"{'#':>5}  {'PRI':<4} {'STATUS':<12} {'TIER':<5} {'ASSIGNEE':<12} "
        f"{'REQUESTER':<12} {'CREATED (UTC)':<17} SUMMARY"
    )
    for t in tickets:
        assignee = names.get(t.assignee_id, "-") if t.assignee_id else "-"
        print(
            f"{t.number:>5}  {t.priority:<4} {t.status.value:<12} {t.tier:<5} "
            f"{assignee[:12]:<12} {names.get(t.requester_id, '?')[:12]:<12} "
            f"{t.created_at:%Y-%m-%d %H:%M} {t.summary[:60]}"
        )
    return 0


def _instant(text: str | None, zone: str) -> datetime:
    """ISO-8601 with an offset, or a wall time read in ``zone``; now when empty."""
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            "--at", f'"{text}" is not an ISO-8601 time like 2026-12-24T17:30'
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


async def _sla_due(settings: Settings, args: argparse.Namespace) -> int:
    policy = settings.sla.policy_for(args.category)
    if args.category is not None and args.category not in {c.key for c in settings.categories}:
        raise ConfigError("--category", f'unknown category "{args.category}"')
    target = policy.targets.get(args.priority.upper())
    if target is None:
        known = ", ".join(policy.targets)
        raise ConfigError("--priority", f'unknown priority "{args.priority}" (known: {known})')
    calendar = settings.sla.calendar(target.calendar)
    start = _instant(args.at, calendar.zone)
    due = {
        "response": calendar.add(start, target.response),
        "resolution": calendar.add(start, target.resolution),
    }
    if args.json:
        print(
            json.dumps(
                {
                    "priority": args.priority.upper(),
                    "policy": policy.name,
                    "calendar": calendar.name,
                    "opened_at": start.isoformat(),
                    **{f"{k}_due_at": v.isoformat() for k, v in due.items()},
                },
                indent=2,
            )
        )
        return 0
    zones = [calendar.zone, args.zone or settings.timezone]
    print(
        f"{args.priority.upper()} under policy {policy.name}, calendar {calendar.name} "
        f"({calendar.zone}); opened {_local(start, calendar.zone)}"
    )
    for clock, instant in due.items():
        shown = "  =  ".join(dict.fromkeys(_local(instant, z) for z in zones))
        print(f"  {clock:<10} due {shown}")
    return 0


def _local(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} ({zone})"


async def _oncall(settings: Settings, args: argparse.Namespace) -> int:
    at = _instant(args.at, settings.timezone)
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            overrides = await uow.oncall.overlapping(at, at + timedelta(seconds=1))
        tiers = [t for t in settings.tiers if args.tier in (None, t.name)]
        if not tiers:
            raise ConfigError("--tier", f'unknown tier "{args.tier}"')
        rows = []
        for tier in tiers:
            duty = runtime.desk.sla.on_call(tier.name, overrides, at)
            rows.append(
                {
                    "tier": tier.name,
                    "person": str(duty.person) if duty else None,
                    "layer": duty.layer if duty else None,
                    "until": duty.until.isoformat() if duty else None,
                }
            )
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        if row["person"] is None:
            print(f"{row['tier']:<5} nobody on call")
        else:
            until = _local(datetime.fromisoformat(row["until"]), settings.timezone)
            print(f"{row['tier']:<5} {row['person']} ({row['layer']}) until {until}")
    return 0


async def _oncall_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot import oncall

    start = datetime.now(UTC)
    end = start + timedelta(days=args.days)
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            stored = await uow.oncall.overlapping(start, end)
    finally:
        await runtime.close()
    tiers = [t for t in settings.tiers if args.tier in (None, t.name)]
    found = {}
    for tier in tiers:
        found[tier.name] = oncall.gaps(tier.name, tier.rotations, stored, start, end)
    if args.json:
        print(
            json.dumps(
                {t: [[a.isoformat(), b.isoformat()] for a, b in g] for t, g in found.items()},
                indent=2,
            )
        )
    else:
        for tier_name, gaps in found.items():
            if not gaps:
                print(f"{tier_name}: covered for the next {args.days} days")
                continue
            print(f"{tier_name}: {len(gaps)} gaps with nobody on call")
            for a, b in gaps:
                print(f"  {_local(a, settings.timezone)}  →  {_local(b, settings.timezone)}")
    return 1 if any(found.values()) else 0


def _ticket_json(ticket: Ticket, names: dict[int, str]) -> dict[str, Any]:
    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    return {
        "number": ticket.number,
        "summary": ticket.summary,
        "priority": ticket.priority,
        "urgency": ticket.urgency,
        "status": ticket.status.value,
        "tier": ticket.tier,
        "category": ticket.category,
        "product": ticket.product,
        "version": ticket.version,
        "requester": names.get(ticket.requester_id),
        "assignee": names.get(ticket.assignee_id) if ticket.assignee_id else None,
        "created_at": iso(ticket.created_at),
        "response_due_at": iso(ticket.response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
    }


if __name__ == "__main__":
    raise SystemExit(main())
