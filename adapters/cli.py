"""The ``tierdesk`` command line.

Every command takes ``--config FILE`` before or after its name (default ``config.toml``, then
the example config, which stderr then names); listing commands take ``--json`` for scripts.
Bad input is one line on stderr naming the option, exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters import console
from adapters import runtime as rt
from adapters.platforms import PLATFORMS
from bot.domain import ArticleFeedback, Status, clocks
from bot.durations import format_duration, parse_duration
from bot.errors import ConfigError
from bot.knowledge import Article, scan_markdown_dir
from bot.knowledge.markdown import to_markdown
from bot.services.reports import GROUPINGS, ReportService
from bot.settings import DEFAULT_CONFIG_NAME, Settings, find_config, load_settings, summarize
from bot.views import incident_record, ticket_record

REPORT_FORMATS = ("table", "csv", "json", "png", "html")
NO_OVERRIDES = "no on-call overrides are known; answering from the configured rotations"


class OptionError(Exception):
    """A command-line value that cannot be used; the message names the option."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__(f"{option}: {reason}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.config = getattr(args, "config", None)  # absent unless given, before or after COMMAND
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
    except OptionError as exc:
        print(f"tierdesk {_command(args)}: {exc}", file=sys.stderr)
        return 2
    except rt.DatabaseNotReady as exc:
        print(f"tierdesk {_command(args)}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tierdesk tickets | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _command(args: argparse.Namespace) -> str:
    """``sla due``, ``oncall check``, ``tickets``: the command as typed, for messages."""
    subcommands = (getattr(args, f"{args.command}_command", None),)
    return " ".join([args.command, *(s for s in subcommands if s)])


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,  # a subcommand must not reset what came before its name
        help="configuration file (default: config.toml, then config.example.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="tierdesk", parents=[common], description="A tiered support desk that lives in chat."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="run the desk (console + enabled adapters)")
    p.add_argument(
        "--console",
        action="store_true",
        help="run the console even when stdin is not a terminal (scripted input)",
    )
    p.set_defaults(handler=_run)

    p = sub.add_parser("check-config", parents=[common], help="validate a config and summarise it")
    p.add_argument("file", nargs="?", help="the file to check (default: --config)")

    p = sub.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    p.set_defaults(handler=_migrate)

    p = sub.add_parser("backup", parents=[common], help="copy the SQLite database while it runs")
    p.add_argument("file", help="the backup file to write (must not exist)")
    p.set_defaults(handler=_backup)

    p = sub.add_parser("restore", parents=[common], help="replace the SQLite database by a backup")
    p.add_argument("file", help="a file `tierdesk backup` wrote (stop the desk first)")
    p.set_defaults(handler=_restore)

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
    p = kb.add_parser(
        "stats", parents=[common], help="which articles help, which never did, what is missing"
    )
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--top", type=_positive, default=10, help="rows per list (default 10)")
    p.add_argument(
        "--min-shown",
        type=_positive,
        default=5,
        help="offers before an article never taken counts as never helpful (default 5)",
    )
    p.set_defaults(handler=_kb_stats)
    p = kb.add_parser(
        "export", parents=[common], help="write every article (with learned phrasings) to files"
    )
    p.add_argument("dir", type=Path, help="folder for the files (made if missing)")
    p.add_argument(
        "--json",
        action="store_true",
        help="one DIR/articles.json instead of DIR/<id>.md files (learned phrasings apart)",
    )
    p.set_defaults(handler=_kb_export)
    p = kb.add_parser("remove", parents=[common], help="delete an article saved in the database")
    p.add_argument("id", help="the article's id (see kb list)")
    p.set_defaults(handler=_kb_remove)

    sla_cmd = sub.add_parser("sla", parents=[common], help="SLA look-ups for leads")
    sla_sub = sla_cmd.add_subparsers(dest="sla_command", metavar="SLA_COMMAND", required=True)
    p = sla_sub.add_parser("due", parents=[common], help="due times of a ticket opened at --at")
    p.add_argument("--priority", required=True, help="a priority level: S1, S2, …")
    p.add_argument(
        "--at",
        required=True,
        help="ISO-8601 with an offset, a wall time and a zone name "
        '("2026-12-24T17:30 America/New_York"), or a wall time in the calendar\'s zone',
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
        action="append",
        help=f"only this status (repeatable): {', '.join(s.value for s in Status)}",
    )
    p.add_argument("--tier", action="append", help="only this tier (repeatable)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument(
        "--incidents", action="store_true", help="major incidents instead, with their tickets"
    )
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(handler=_tickets)

    p = sub.add_parser("report", parents=[common], help="how the desk performed (for leads)")
    p.add_argument("--since", help="the last DURATION up to now, e.g. 7d, 30d (default 30d)")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day, in the desk's zone")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day (included)")
    p.add_argument("--by", choices=GROUPINGS, help="a column of figures per group")
    p.add_argument("--format", choices=REPORT_FORMATS, default="table")
    p.add_argument("--out", type=Path, metavar="FILE", help="write there (png and html need it)")
    p.set_defaults(handler=_report)

    demo = sub.add_parser("demo", parents=[common], help="demonstration data")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="DEMO_COMMAND", required=True)
    p = demo_sub.add_parser("seed", parents=[common], help="fill the database with a month")
    p.add_argument("--days", type=int, default=30, help="how many days up to now (default 30)")
    p.add_argument("--seed", type=int, default=7, help="random seed: same seed, same data")
    p.set_defaults(handler=_demo_seed)
    return parser


def _settings(path: str | None) -> Settings:
    return load_settings(_config_file(path), os.environ, platforms=PLATFORMS)


def _config_file(given: str | None) -> Path:
    """The file named, or the default one; a default other than ./config.toml is named on
    stderr, so nobody reads another database than they think."""
    cwd = Path.cwd()
    path = find_config(given, cwd)
    if given is None and path != cwd / DEFAULT_CONFIG_NAME:
        print(f"tierdesk: no {DEFAULT_CONFIG_NAME} in {cwd}; using {path}", file=sys.stderr)
    return path


def _choose(option: str, value: str, known: Iterable[str], what: str) -> str:
    """``value`` as one of ``known``: exactly, else ignoring case; otherwise an error."""
    names = list(known)
    if value in names:
        return value
    folded = [name for name in names if name.casefold() == value.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise OptionError(option, f'unknown {what} "{value}" (known: {", ".join(names)})')


def _zone(option: str, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(
            option, f'unknown time zone "{name}" (an IANA name like Europe/Berlin)'
        ) from None
    return name


def _tier_names(settings: Settings, values: Sequence[str] | None) -> list[str]:
    return [_choose("--tier", v, (t.name for t in settings.tiers), "tier") for v in values or ()]


async def _look_up(settings: Settings, *, without_database: str | None = None) -> rt.Runtime:
    """A runtime for a read-only command: the database opened read-only, never created or
    migrated. With no database file yet, a command the configuration alone can answer
    passes ``without_database`` (a note for stderr; "" for none) and runs on an empty one in
    memory; for the others that is :class:`~adapters.runtime.DatabaseNotReady`."""
    missing = rt.missing_database(settings.storage_url)
    if missing is None or without_database is None:
        return await rt.build(settings, read_only=True)
    if without_database:
        print(f"tierdesk: no database at {missing} yet: {without_database}", file=sys.stderr)
    empty = dataclasses.replace(settings, storage_url="sqlite+aiosqlite:///:memory:")
    return await rt.build(empty)


def _check_config(args: argparse.Namespace) -> int:
    path = _config_file(args.file or args.config)
    settings = load_settings(path, os.environ, platforms=PLATFORMS)
    rt.load_sources(settings)  # Markdown errors are configuration errors too
    rt.check_adapter_options(settings)  # and so are an enabled adapter's own options
    print(f"{path}: OK")
    for line in summarize(settings):
        print("  " + line)
    return 0


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.console:  # asked for by name: on even where the config turned it off
        name = console.DESCRIPTOR.name
        on = dataclasses.replace(settings.adapters[name], enabled=True)
        settings = dataclasses.replace(settings, adapters={**settings.adapters, name: on})
    await rt.run(settings, interactive=args.console)
    return 0


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    await upgrade(settings.storage_url)
    print(f"database at {rt.safe_url(settings.storage_url)} is up to date")
    return 0


async def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from storage import backup

    try:
        copied = backup.backup(settings.storage_url, Path(args.file))
    except backup.BackupError as exc:
        print(f"tierdesk backup: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {copied.tickets} tickets ({copied.pages} pages) to {args.file}")
    return 0


async def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from storage import backup

    try:
        copied = backup.restore(Path(args.file), settings.storage_url)
    except backup.BackupError as exc:
        print(f"tierdesk restore: {exc}", file=sys.stderr)
        return 1
    where = rt.safe_url(settings.storage_url)
    print(f"restored {copied.tickets} tickets from {args.file} into {where}")
    return 0


async def _kb_search(
    settings: Settings, args: argparse.Namespace, *, stdin: TextIO | None = None
) -> int:
    # No database yet means no imported articles: the Markdown sources are the whole answer.
    runtime = await _look_up(settings, without_database="")
    try:
        index = runtime.desk.knowledge.index
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


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


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
    """Import every good file and name every bad one: one typo must not hold back the rest."""
    try:
        articles, problems = scan_markdown_dir(args.dir)
    except (ValueError, OSError) as exc:
        print(f"kb import: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"kb import: {problem}", file=sys.stderr)
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            for article in articles:
                await uow.knowledge.put(article)
            await uow.commit()
    finally:
        await runtime.close()
    print(f"imported {len(articles)} articles from {args.dir}")
    if problems:
        print(f"kb import: {len(problems)} files not imported", file=sys.stderr)
        return 1
    return 0


async def _known_articles(settings: Settings, without_database: str) -> list[Article]:
    """Every article the desk knows (sources and database), by id, read-only."""
    runtime = await _look_up(settings, without_database=without_database)
    try:
        return sorted(runtime.desk.knowledge.index.articles(), key=lambda a: a.id)
    finally:
        await runtime.close()


async def _kb_list(settings: Settings, args: argparse.Namespace) -> int:
    articles = await _known_articles(settings, "listing the Markdown sources only")
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


@dataclasses.dataclass(frozen=True, slots=True)
class _Usage:
    """An article as ``kb stats`` reports it."""

    article: Article
    feedback: ArticleFeedback
    acceptance: float  # the Bayesian average the ranking uses

    def record(self) -> dict[str, Any]:
        f = self.feedback
        return {
            "id": self.article.id,
            "title": self.article.title,
            "shown": f.shown,
            "accepted": f.accepted,
            "rejected": f.rejected,
            "acceptance": round(self.acceptance, 3),
        }

    def line(self) -> str:
        f = self.feedback
        return (
            f"{f.shown:>7} {f.accepted:>6} {f.rejected:>7} {self.acceptance:>7.0%}  "
            f"{self.article.id}  {self.article.title}"
        )


async def _kb_stats(settings: Settings, args: argparse.Namespace) -> int:
    """What the knowledge base does for requesters: the articles offered most, those whose
    offers solved the problem most often (the Bayesian average the ranking uses, so one lucky
    offer does not top the list), those offered ``--min-shown`` times and never taken, and
    the questions no article answered, most frequent first: the articles worth writing."""
    runtime = await _look_up(settings, without_database="nothing has been offered yet")
    try:
        async with runtime.uow_factory() as uow:
            feedback = await uow.knowledge.feedback()
            unanswered = await uow.knowledge.unanswered(args.top)
        index = runtime.desk.knowledge.index
    finally:
        await runtime.close()
    usage = [
        _Usage(a, feedback.get(a.id, ArticleFeedback()), index.acceptance(a.id))
        for a in sorted(index.articles(), key=lambda a: a.id)
    ]
    offered = [u for u in usage if u.feedback.shown]
    most_suggested = sorted(offered, key=lambda u: -u.feedback.shown)[: args.top]
    helpful = [u for u in offered if u.feedback.accepted]
    most_helpful = sorted(helpful, key=lambda u: -u.acceptance)[: args.top]
    never = [u for u in offered if u.feedback.shown >= args.min_shown and not u.feedback.accepted]
    never = sorted(never, key=lambda u: -u.feedback.shown)
    if args.json:
        report = {
            "most_suggested": [u.record() for u in most_suggested],
            "most_helpful": [u.record() for u in most_helpful],
            "never_helpful": [u.record() for u in never],
            "never_suggested": [u.article.id for u in usage if not u.feedback.shown],
            "unanswered": [{"question": q, "count": n} for q, n in unanswered],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    head = f"{'shown':>7} {'taken':>6} {'turned':>7} {'accept':>7}  article"
    for title, rows in (
        ("most suggested", most_suggested),
        ("most helpful (acceptance: a Bayesian average)", most_helpful),
        (f"never helpful (offered {args.min_shown}+ times, never taken)", never),
    ):
        print(f"{title}:")
        print(head if rows else "      -")
        for u in rows:
            print(u.line())
    print("questions that found no article, most frequent first (articles worth writing):")
    for question, count in unanswered:
        print(f"{count:>7}  {question}")
    if not unanswered:
        print("      -")
    return 0


async def _kb_export(settings: Settings, args: argparse.Namespace) -> int:
    """Files an agent can edit and ``kb import`` again (learned phrasings are keywords
    there); ``--json``: one file that keeps them apart. Never overwrites a file."""
    runtime = await _look_up(settings, without_database="")
    try:
        async with runtime.uow_factory() as uow:
            learned = await uow.knowledge.learned()
        articles = sorted(runtime.desk.knowledge.index.articles(), key=lambda a: a.id)
    finally:
        await runtime.close()
    if args.json:
        return _write_json_export(args.dir, articles, learned)
    return _write_export(args.dir, articles)


def _write_json_export(
    folder: Path, articles: Sequence[Article], learned: dict[str, list[str]]
) -> int:
    path = folder / "articles.json"
    if path.exists():
        print(f"kb export: {path} already exists; nothing written", file=sys.stderr)
        return 1
    records = []
    for a in articles:
        taught = learned.get(a.id, [])
        records.append(
            {
                "id": a.id,
                "title": a.title,
                "body": a.body,
                "keywords": [k for k in a.keywords if k not in taught],
                "learned": [k for k in a.keywords if k in taught],
                "tags": list(a.tags),
                "source": a.source,
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"exported {len(articles)} articles to {path}")
    return 0


def _write_export(folder: Path, articles: Sequence[Article]) -> int:
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
    """Delete a database article with its offer counts and learned phrasings. A Markdown
    article stays (its file is the source), but what the desk learned about it goes."""
    runtime = await rt.build(settings)
    try:
        async with runtime.uow_factory() as uow:
            stored = await uow.knowledge.get(args.id) is not None
            forgot = await uow.knowledge.remove(args.id)
            await uow.commit()
        article = runtime.desk.knowledge.index.get(args.id)
    finally:
        await runtime.close()
    if stored:
        print(f"removed article {args.id!r}")
        return 0
    if article is not None:
        learned = " (what the desk learned about it is forgotten)" if forgot else ""
        print(
            f"kb remove: {args.id!r} comes from {article.source}; delete or edit that file"
            + learned,
            file=sys.stderr,
        )
    else:
        print(f"kb remove: no article {args.id!r} (see kb list)", file=sys.stderr)
    return 1


async def _tickets(settings: Settings, args: argparse.Namespace) -> int:
    statuses = [
        Status(_choose("--status", s, (s.value for s in Status), "status"))
        for s in args.status or ()
    ]
    tiers = _tier_names(settings, args.tier)
    if args.incidents:
        return await _incidents(settings, args)
    runtime = await _look_up(settings)
    try:
        async with runtime.uow_factory() as uow:
            tickets = await uow.tickets.list(statuses=statuses, tiers=tiers, limit=args.limit)
            names = await uow.people.names(
                person_id for t in tickets for person_id in (t.requester_id, t.assignee_id)
            )
    finally:
        await runtime.close()
    if args.json:
        print(json.dumps([ticket_record(t, names) for t in tickets], indent=2, ensure_ascii=False))
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


async def _incidents(settings: Settings, args: argparse.Namespace) -> int:
    """``tickets --incidents``: the newest incidents, each with its linked tickets."""
    runtime = await _look_up(settings)
    try:
        async with runtime.uow_factory() as uow:
            incidents = await uow.incidents.list(limit=args.limit)
            linked = await uow.incidents.linked_to([i.id for i in incidents if i.id])
            names = await uow.people.names(i.commander_id for i in incidents)
    finally:
        await runtime.close()
    records = [incident_record(i, linked.get(i.id or 0, []), names) for i in incidents]
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if not incidents:
        print("No incidents.")
        return 0
    print(
        f"{'#':>5}  {'PRI':<4} {'STATUS':<10} {'TIER':<5} {'COMMANDER':<12} "
        f"{'PROPOSED (UTC)':<17} {'TICKETS':<20} TITLE"
    )
    for i, record in zip(incidents, records, strict=True):
        commander = str(record["commander"] or "-")
        numbers = _numbers_within(linked.get(i.id or 0, []), 20)
        print(
            f"{i.id:>5}  {i.priority or '-':<4} {i.status.value:<10} {i.tier:<5} "
            f"{commander[:12]:<12} {i.proposed_at:%Y-%m-%d %H:%M} {numbers:<20} "
            f"{i.title[:50]}"
        )
    return 0


def _numbers_within(numbers: list[int], width: int) -> str:
    """``#4 #5 #6 +3``: the ticket numbers that fit whole in ``width``, and how many more
    (``--json`` lists them all)."""
    shown: list[str] = []
    for left, number in enumerate(numbers, start=1):
        rest = len(numbers) - left
        line = " ".join([*shown, f"#{number}"]) + (f" +{rest}" if rest else "")
        if len(line) > width:
            break
        shown.append(f"#{number}")
    hidden = len(numbers) - len(shown)
    return " ".join(shown) + (f" +{hidden}" if hidden else "")


def _period(
    settings: Settings, args: argparse.Namespace, now: datetime
) -> tuple[datetime, datetime]:
    """``--since`` up to now, or whole days ``--from`` … ``--to`` in the desk's zone."""
    if args.since and (args.start or args.end):
        raise OptionError("--since", "give --since or --from/--to, not both")
    if args.start or args.end:
        zone = ZoneInfo(settings.timezone)
        first = _day("--from", args.start) if args.start else None
        last = _day("--to", args.end) if args.end else now.astimezone(zone).date()
        if first is None:
            first = last - timedelta(days=29)
        if last < first:
            raise OptionError("--to", f"{last} is before --from {first}")
        start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
        return start, end.astimezone(UTC)
    try:
        since = parse_duration(args.since or "30d")
    except ValueError as exc:
        raise OptionError("--since", str(exc)) from None
    return now - since, now


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OptionError(option, f'"{text}" is not a date like 2026-11-23') from None


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    from adapters import report_render as render

    if args.format in ("png", "html") and args.out is None:
        raise OptionError("--out", f"--format {args.format} writes a file: give --out FILE")
    now = datetime.now(UTC)
    start, end = _period(settings, args, now)
    runtime = await _look_up(settings)
    try:
        async with runtime.uow_factory() as uow:
            report = await ReportService(settings).report(uow, start, end, now, by=args.by or "")
    finally:
        await runtime.close()
    if args.format == "png":
        args.out.write_bytes(render.to_png(report, settings))
        print(f"wrote {args.out}")
        return 0
    text = {
        "table": lambda: render.to_table(report, settings),
        "csv": lambda: render.to_csv(report),
        "json": lambda: render.to_json(report) + "\n",
        "html": lambda: render.to_html(report, settings),
    }[args.format]()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


async def _demo_seed(settings: Settings, args: argparse.Namespace) -> int:
    from adapters import demo

    if args.days < 1 or args.days > 366:
        raise OptionError("--days", "between 1 and 366")
    runtime = await rt.build(settings)
    try:
        seeded = await demo.seed(
            settings, runtime.uow_factory, datetime.now(UTC), args.days, args.seed
        )
    finally:
        await runtime.close()
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(seeded.statuses.items()))
    print(
        f"seeded {seeded.tickets} tickets ({statuses}), {seeded.incidents} incidents, "
        f"{seeded.self_service} self-service answers and {seeded.stages} SLA pings over "
        f"{args.days} days "
        f"in {rt.safe_url(settings.storage_url)}"
    )
    return 0


def _instant(text: str | None, zone: str) -> datetime:
    """ISO-8601 with an offset, a wall time followed by a zone name (``2026-12-24T17:30
    America/New_York`` or ``…[America/New_York]``), or a wall time read in ``zone``; now
    when empty."""
    if not text:
        return datetime.now(UTC)
    wall, named = _split_zone(text.strip())
    try:
        value = datetime.fromisoformat(wall)
    except ValueError:
        raise OptionError(
            "--at",
            f'"{text}" is not a time like 2026-12-24T17:30, 2026-12-24T17:30+01:00 '
            "or 2026-12-24T17:30 America/New_York",
        ) from None
    if named is not None:
        if value.tzinfo is not None:
            raise OptionError("--at", f'"{text}" gives both an offset and a zone: give one')
        zone = _zone("--at", named)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def _split_zone(text: str) -> tuple[str, str | None]:
    """``("2026-12-24T17:30", "America/New_York")`` from either spelling of a zone name."""
    if text.endswith("]") and "[" in text:
        wall, _, named = text[:-1].partition("[")
        return wall.strip(), named.strip()
    wall, _, last = text.rpartition(" ")
    if wall and last and last[0].isalpha():  # "17:30" or "+01:00" is part of the time
        return wall.strip(), last
    return text, None


async def _sla_due(settings: Settings, args: argparse.Namespace) -> int:
    # Every option is checked before the first line is printed: no half answers.
    category = args.category
    if category is not None:
        category = _choose("--category", category, (c.key for c in settings.categories), "category")
    policy = settings.sla.policy_for(category)
    priority = _choose("--priority", args.priority, policy.targets, "priority")
    target = policy.targets[priority]
    reader_zone = _zone("--zone", args.zone) if args.zone else settings.timezone
    calendar = settings.sla.calendar(target.calendar)
    start = _instant(args.at, calendar.zone)
    targets = {"response": target.response, "resolution": target.resolution}
    opened = clocks.if_opened(settings.sla, priority, category, start)
    assert opened.response_due_at is not None and opened.resolution_due_at is not None
    due = {"response": opened.response_due_at, "resolution": opened.resolution_due_at}
    if args.json:
        print(
            json.dumps(
                {
                    "priority": priority,
                    "policy": policy.name,
                    "calendar": calendar.name,
                    "zone": calendar.zone,
                    "targets": {
                        f"{clock}_seconds": int(length.total_seconds())
                        for clock, length in targets.items()
                    },
                    "opened_at": start.isoformat(),
                    **{f"{k}_due_at": v.isoformat() for k, v in due.items()},
                },
                indent=2,
            )
        )
        return 0
    zones = [calendar.zone, reader_zone]
    print(
        f"{priority} under policy {policy.name}, calendar {calendar.name} "
        f"({calendar.zone}); opened {_local(start, calendar.zone)}"
    )
    print(
        "  targets    "
        + ", ".join(f"{clock} {format_duration(length)}" for clock, length in targets.items())
        + f" of {calendar.name} time"
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
    runtime = await _look_up(settings, without_database=NO_OVERRIDES)
    try:
        tiers = runtime.desk.oncall.tiers(_tier_name(settings, args.tier))
        async with runtime.uow_factory() as uow:
            report = await runtime.desk.oncall.report(uow, tiers, at)
    finally:
        await runtime.close()
    rows = [
        {
            "tier": tier.name,
            "person": str(duty.person) if duty else None,
            "layer": duty.layer if duty else None,
            "until": duty.until.isoformat() if duty else None,
        }
        for tier, duty in report
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for tier, duty in report:
        if duty is None:
            print(f"{tier.name:<5} nobody on call")
        else:
            until = _local(duty.until, settings.timezone)
            print(f"{tier.name:<5} {duty.person} ({duty.layer}) until {until}")
    return 0


async def _oncall_check(settings: Settings, args: argparse.Namespace) -> int:
    start = datetime.now(UTC)
    end = start + timedelta(days=args.days)
    runtime = await _look_up(settings, without_database=NO_OVERRIDES)
    try:
        tiers = runtime.desk.oncall.tiers(_tier_name(settings, args.tier))
        async with runtime.uow_factory() as uow:
            found = await runtime.desk.oncall.gaps(uow, tiers, start, end)
    finally:
        await runtime.close()
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


def _tier_name(settings: Settings, value: str | None) -> str | None:
    """``--tier`` as the configuration spells it (an unknown tier is an option error)."""
    return _tier_names(settings, [value])[0] if value else None


if __name__ == "__main__":
    raise SystemExit(main())
