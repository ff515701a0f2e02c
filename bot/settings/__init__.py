"""Typed, frozen settings, validated from TOML; every error names the key and the reason.

``load_settings`` is called once by the composition root; nothing else reads files or the
environment. ``${VAR}`` (or ``${VAR:-default}``) in any string is replaced from the
environment mapping passed in, so secrets stay out of the file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.config_node import ConfigNode, join_key
from bot.domain import Identity
from bot.domain.choices import Choice
from bot.domain.lifecycle import Product, ProductVersion
from bot.domain.oncall import Layer
from bot.domain.sla import SlaSettings
from bot.durations import format_duration
from bot.errors import ConfigError
from bot.settings.oncall import parse_layers
from bot.settings.sla import parse_sla

DEFAULT_CONFIG_NAME = "config.toml"
MIN_KEEP = timedelta(days=1)
EXAMPLE_CONFIG_NAME = "config.example.toml"


@dataclass(frozen=True, slots=True)
class PriorityLevel:
    name: str
    label: str
    response: timedelta
    resolution: timedelta


@dataclass(frozen=True, slots=True)
class PrioritySettings:
    """The impact × can-work matrix, and perceived urgency (which only orders equals)."""

    impacts: tuple[Choice, ...]
    can_work: tuple[Choice, ...]
    urgencies: tuple[Choice, ...]  # most urgent first
    levels: tuple[PriorityLevel, ...]  # most severe first
    matrix: Mapping[tuple[str, str], str]

    def priority_for(self, impact: str, can_work: str) -> str:
        return self.matrix[(impact, can_work)]

    def level(self, name: str) -> PriorityLevel:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(name)

    def rank(self, priority: str) -> int:
        return next((i for i, lv in enumerate(self.levels) if lv.name == priority), 99)

    def urgency_rank(self, urgency: str) -> int:
        return next((i for i, c in enumerate(self.urgencies) if c.key == urgency), 99)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    label: str
    channels: Mapping[str, str]  # platform → channel/group id
    agents: tuple[Identity, ...]
    rotations: tuple[Layer, ...] = ()  # on-call layers, first active one wins

    def staffed_by(self, identity: Identity) -> bool:
        """An agent of the tier or a member of its on-call rotation."""
        return identity in self.agents or any(identity in r.members for r in self.rotations)


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    chain: tuple[str, ...]
    product: str | None = None
    aliases: tuple[str, ...] = ()  # words requesters use for it ("vpn", "printer")


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    timeout: timedelta = timedelta(minutes=30)
    ask_details: bool = True


@dataclass(frozen=True, slots=True)
class SatisfactionSettings:
    """How long a resolved ticket waits for "Did this solve it?" before it closes itself."""

    close_after: timedelta = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class KnowledgeSettings:
    sources: tuple[Path, ...] = ()
    limit: int = 3
    threshold: float | None = None  # None: the index's calibrated default
    learn_after: int = 3  # confirmations of one (masked) question before an article learns it


@dataclass(frozen=True, slots=True)
class IncidentSettings:
    """When a storm of alike reports becomes a proposed incident (``[incidents]``).
    ``threshold`` None: the text engine's own default (its scale is the engine's)."""

    enabled: bool = True
    window: timedelta = timedelta(minutes=30)  # tickets opened this recently are compared
    requesters: int = 3  # distinct people alike before an incident is proposed
    threshold: float | None = None
    auto_declare: tuple[str, ...] = ()  # categories whose bursts are declared at once
    page: tuple[str, ...] = ("S1", "S2")  # priorities that page the tier's on-call at once


@dataclass(frozen=True, slots=True)
class Platform:
    """A chat platform as the settings see it, declared by its adapter: ``bot/`` names no
    platform, yet a person or channel on one the desk lacks, a misshapen channel id and an
    adapter turned on without its credentials are still refused with their key."""

    name: str
    credentials: tuple[str, ...] = ()  # option keys "auto" needs before it turns the adapter on
    stand_ins: Mapping[str, str] = field(default_factory=dict)  # credential → key set instead
    channel_id: re.Pattern[str] | None = None  # what a channel id looks like; None: anything
    channel_shape: str = ""  # the same in words, for errors: "a channel id like C0123456789"

    def missing_credentials(self, options: Mapping[str, Any]) -> tuple[str, ...]:
        """The credential keys not set in ``options``, in declared order."""

        def given(key: str) -> bool:
            return bool(str(options.get(key) or "").strip())

        return tuple(
            key
            for key in self.credentials
            if not given(key) and not (key in self.stand_ins and given(self.stand_ins[key]))
        )

    def is_channel_id(self, channel: str) -> bool:
        return self.channel_id is None or self.channel_id.fullmatch(channel) is not None


@dataclass(frozen=True, slots=True)
class AdapterSettings:
    """One chat adapter. ``enabled`` is resolved: "auto" became True iff credentials are set."""

    name: str
    enabled: bool
    options: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """The one HTTP server. ``enabled`` starts it with no chat webhook (health, metrics,
    status page); ``status_token`` opens the status page at ``/`` (empty: the page is off)."""

    host: str = "127.0.0.1"
    port: int = 8080
    enabled: bool = False
    status_token: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    storage_url: str
    timezone: str
    priority: PrioritySettings
    tiers: tuple[Tier, ...]
    default_chain: tuple[str, ...]
    categories: tuple[Category, ...]
    products: tuple[Product, ...]
    intake: IntakeSettings
    knowledge: KnowledgeSettings
    adapters: Mapping[str, AdapterSettings]
    http: HttpSettings
    sla: SlaSettings
    source: Path | None = None
    storage_keep: timedelta = timedelta(days=30)  # delivered outbox rows and event ids
    satisfaction: SatisfactionSettings = SatisfactionSettings()
    leads: tuple[Identity, ...] = ()  # support leads: may ask the desk for /report
    incidents: IncidentSettings = IncidentSettings()

    def tier(self, name: str) -> Tier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(name)

    def category(self, key: str) -> Category:
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(key)

    def chain_of(self, category: str | None) -> tuple[str, ...]:
        """The tiers a category's work passes through; the default chain for none (or one
        no longer configured)."""
        known = next((c for c in self.categories if c.key == category), None)
        return known.chain if known is not None else self.default_chain

    def product(self, key: str) -> Product:
        for product in self.products:
            if product.key == key:
                return product
        raise KeyError(key)

    def agent_ids(self, platform: str) -> frozenset[str]:
        """The ids of every tier agent on ``platform``."""
        return frozenset(
            a.external_id for t in self.tiers for a in t.agents if a.platform == platform
        )

    def agent_tiers(self, identity: Identity) -> tuple[Tier, ...]:
        """The tiers whose tickets ``identity`` may act on, in chain order."""
        return tuple(t for t in self.tiers if identity in t.agents)

    @property
    def enabled_platforms(self) -> tuple[str, ...]:
        return tuple(name for name, a in self.adapters.items() if a.enabled)


# -- loading -------------------------------------------------------------------------------

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def find_config(path: str | Path | None, cwd: Path) -> Path:
    """The file to use: the one given, else ``config.toml``, else the shipped example."""
    if path is not None:
        return Path(path)
    for name in (DEFAULT_CONFIG_NAME, EXAMPLE_CONFIG_NAME):
        candidate = cwd / name
        if candidate.exists():
            return candidate
    packaged = Path(__file__).resolve().parents[2] / EXAMPLE_CONFIG_NAME
    if packaged.exists():
        return packaged
    raise ConfigError("", f"no {DEFAULT_CONFIG_NAME} or {EXAMPLE_CONFIG_NAME} in {cwd}")


def load_settings(
    path: str | Path, environ: Mapping[str, str], *, platforms: Sequence[Platform]
) -> Settings:
    """Read and validate a TOML file; raises ConfigError naming the key and the reason.

    ``platforms`` are the chat platforms the desk has (the composition root passes the
    adapters' registry): people, channels and adapter sections may name only these.
    """
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("", f"{file}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("", f"{file}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("", f"{file}: not UTF-8 text") from exc
    return parse_settings(
        raw, environ, platforms=platforms, base_dir=file.resolve().parent, source=file
    )


def parse_settings(
    raw: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    platforms: Sequence[Platform],
    base_dir: Path,
    source: Path | None = None,
) -> Settings:
    """Validate an already-parsed TOML document (``platforms`` as for :func:`load_settings`)."""
    known = {platform.name: platform for platform in platforms}
    root = ConfigNode("", _substitute(raw, environ, ""))
    root.only(
        "desk",
        "storage",
        "priority",
        "tiers",
        "categories",
        "products",
        "intake",
        "knowledge",
        "adapters",
        "http",
        "sla",
        "satisfaction",
        "incidents",
    )
    desk = root.table("desk")
    desk.only("timezone", "leads")
    timezone = desk.timezone("timezone", "UTC")
    leads = desk.identities("leads")
    for i, lead in enumerate(leads):
        if lead.platform not in known:
            raise ConfigError(
                desk.key(f"leads[{i}]"),
                f'unknown platform "{lead.platform}" (known: {_names(known)})',
            )
    satisfaction_node = root.table("satisfaction")
    satisfaction_node.only("close_after")
    satisfaction = SatisfactionSettings(close_after=satisfaction_node.duration("close_after", "3d"))
    storage = root.table("storage")
    storage.only("url", "keep")
    storage_url = _storage_url(storage, base_dir)
    storage_keep = storage.duration("keep", "30d")
    if storage_keep < MIN_KEEP:
        raise ConfigError(
            storage.key("keep"), "keep at least 1d: chat platforms redeliver events for hours"
        )
    priority = _priority(root.table("priority"))
    tiers = _tiers(root, timezone, known)
    tier_names = tuple(t.name for t in tiers)
    categories = _categories(root, tier_names)
    products = _products(root)
    for i, category in enumerate(categories):
        if category.product is not None and category.product not in {p.key for p in products}:
            raise ConfigError(f"categories[{i}].product", f'unknown product "{category.product}"')
    intake_node = root.table("intake")
    intake_node.only("timeout", "ask_details")
    intake = IntakeSettings(
        timeout=intake_node.duration("timeout", "30m"),
        ask_details=intake_node.boolean("ask_details", True),
    )
    kb = root.table("knowledge")
    kb.only("sources", "limit", "threshold", "learn_after")
    knowledge = KnowledgeSettings(
        sources=tuple(
            _resolve(base_dir, s) for s in kb.str_list("sources", ("kb",), allow_empty=True)
        ),
        limit=kb.integer("limit", 3, low=1, high=10),
        threshold=kb.number("threshold", None, low=0, high=100),
        learn_after=kb.integer("learn_after", 3, low=1, high=1000),
    )
    http = root.table("http")
    http.only("host", "port", "enabled", "status_token")
    incidents = _incidents(root.table("incidents"), categories, priority)
    return Settings(
        storage_url=storage_url,
        storage_keep=storage_keep,
        timezone=timezone,
        priority=priority,
        tiers=tiers,
        default_chain=tier_names,
        categories=categories,
        products=products,
        intake=intake,
        knowledge=knowledge,
        adapters=_adapters(root.table("adapters"), known),
        http=HttpSettings(
            host=http.string("host", "127.0.0.1"),
            port=http.integer("port", 8080, low=1, high=65535),
            enabled=http.boolean("enabled", False),
            status_token=http.string("status_token", ""),
        ),
        sla=parse_sla(
            root.table("sla"),
            zone=timezone,
            priorities={lv.name: (lv.response, lv.resolution) for lv in priority.levels},
            categories=tuple(c.key for c in categories),
        ),
        source=source,
        satisfaction=satisfaction,
        leads=leads,
        incidents=incidents,
    )


def _incidents(
    node: ConfigNode, categories: tuple[Category, ...], priority: PrioritySettings
) -> IncidentSettings:
    node.only("enabled", "window", "requesters", "threshold", "auto_declare", "page")
    window = node.duration("window", "30m")
    if not timedelta(minutes=1) <= window <= timedelta(days=1):
        raise ConfigError(node.key("window"), "must be between 1m and 1d")
    known = {c.key for c in categories}
    auto = node.str_list("auto_declare", (), allow_empty=True)
    for i, key in enumerate(auto):
        if key not in known:
            names = ", ".join(sorted(known)) or "none configured"
            raise ConfigError(node.key(f"auto_declare[{i}]"), f'unknown category "{key}" ({names})')
    levels = [lv.name for lv in priority.levels]
    page = node.str_list("page", tuple(levels[:2]), allow_empty=True)
    for i, name in enumerate(page):
        if name not in levels:
            raise ConfigError(
                node.key(f"page[{i}]"), f'unknown priority "{name}" (known: {", ".join(levels)})'
            )
    return IncidentSettings(
        enabled=node.boolean("enabled", True),
        window=window,
        requesters=node.integer("requesters", 3, low=2, high=1000),
        threshold=node.number("threshold", None, low=0, high=1_000_000),
        auto_declare=auto,
        page=page,
    )


def _substitute(value: Any, environ: Mapping[str, str], key: str) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(key, f"environment variable {name} is not set")

        return _ENV.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, environ, join_key(key, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, environ, f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def _resolve(base_dir: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else base_dir / path


STORAGE_DRIVERS = ("sqlite+aiosqlite", "postgresql+psycopg")  # the async drivers installed


def _storage_url(node: ConfigNode, base_dir: Path) -> str:
    url = node.string("url", "sqlite+aiosqlite:///tierdesk.db")
    if "://" not in url:
        raise ConfigError(node.key("url"), f'"{url}" is not a database URL')
    scheme, _, rest = url.partition("://")
    if scheme not in STORAGE_DRIVERS:
        raise ConfigError(node.key("url"), _driver_hint(scheme, rest))
    if scheme.startswith("sqlite") and rest.startswith("/") and not rest.startswith("//"):
        relative = rest[1:]
        if relative and relative != ":memory:" and not Path(relative).is_absolute():
            return f"{scheme}:///{base_dir / relative}"
    return url


def _driver_hint(scheme: str, rest: str) -> str:
    """Why ``scheme`` cannot work, with the URL that would."""
    family = scheme.split("+", 1)[0].lower()
    family = "postgresql" if family == "postgres" else family
    right = next((d for d in STORAGE_DRIVERS if d.startswith(family + "+")), "")
    if right:
        return f'driver "{scheme}" is not supported; use "{right}://{rest}"'
    return (
        f'database "{scheme}" is not supported; use {" or ".join(STORAGE_DRIVERS)} '
        '(e.g. "sqlite+aiosqlite:///tierdesk.db")'
    )


def _names(known: Mapping[str, Platform]) -> str:
    return ", ".join(sorted(known))


def _check_people_and_channels(item: ConfigNode, tier: Tier, known: Mapping[str, Platform]) -> None:
    """Every agent and on-call member on a platform the desk has, every channel id in its
    platform's shape: a typo here would otherwise only show as silence at run time."""
    people = [(item.key(f"agents[{j}]"), who) for j, who in enumerate(tier.agents)]
    for k, layer in enumerate(tier.rotations):
        people += [
            (item.key(f"rotations[{k}].members[{m}]"), who) for m, who in enumerate(layer.members)
        ]
    for key, who in people:
        if who.platform not in known:
            raise ConfigError(
                key,
                f'unknown platform "{who.platform}" in "{who.platform}:{who.external_id}" '
                f"(known: {_names(known)})",
            )
    for platform, channel in tier.channels.items():
        key = join_key(item.key("channels"), platform)
        if not channel.strip():
            raise ConfigError(key, "empty channel id")
        if not known[platform].is_channel_id(channel):
            raise ConfigError(key, f'"{channel}" is not {known[platform].channel_shape}')


def _choices(node: ConfigNode, key: str, defaults: tuple[Choice, ...]) -> tuple[Choice, ...]:
    items = node.tables(key)
    if not items:
        return defaults
    choices = []
    seen: set[str] = set()
    for item in items:
        item.only("key", "label", "aliases")
        choice_key = item.name("key")
        if choice_key in seen:
            raise ConfigError(item.key("key"), f'duplicate choice "{choice_key}"')
        seen.add(choice_key)
        choices.append(
            Choice(
                key=choice_key,
                label=item.string("label", choice_key),
                aliases=item.str_list("aliases", (), allow_empty=True),
            )
        )
    return tuple(choices)


DEFAULT_IMPACTS = (
    Choice(
        "group",
        "A group of people (a team, a site, everyone)",
        ("group", "team", "everyone", "several", "many", "we", "us", "all"),
    ),
    Choice("one", "Just me", ("me", "only me", "just me", "myself", "one person", "i")),
)
DEFAULT_CAN_WORK = (
    Choice("no", "No, I'm blocked", ("no", "blocked", "cannot", "can't", "stuck", "nothing works")),
    Choice("limited", "Yes, but limited", ("yes", "limited", "partly", "somewhat", "slowly")),
)
DEFAULT_URGENCIES = (
    Choice("now", "Right now", ("now", "asap", "immediately", "urgent", "right now")),
    Choice("today", "Today", ("today", "this afternoon", "end of day")),
    Choice("week", "This week", ("this week", "week", "few days")),
    Choice("wait", "It can wait", ("later", "wait", "no rush", "whenever", "can wait")),
)
DEFAULT_LEVELS = (
    PriorityLevel("S1", "Critical", timedelta(minutes=15), timedelta(hours=1)),
    PriorityLevel("S2", "High", timedelta(minutes=30), timedelta(hours=2)),
    PriorityLevel("S3", "Medium", timedelta(hours=1), timedelta(hours=3)),
    PriorityLevel("S4", "Low", timedelta(hours=4), timedelta(hours=36)),  # 3 days of 12x5
)
DEFAULT_MATRIX = {
    ("group", "no"): "S1",
    ("group", "limited"): "S2",
    ("one", "no"): "S3",
    ("one", "limited"): "S4",
}


def _priority(node: ConfigNode) -> PrioritySettings:
    node.only("impact", "can_work", "urgency", "levels", "matrix")
    impacts = _choices(node, "impact", DEFAULT_IMPACTS)
    can_work = _choices(node, "can_work", DEFAULT_CAN_WORK)
    urgencies = _choices(node, "urgency", DEFAULT_URGENCIES)
    level_nodes = node.tables("levels")
    levels: list[PriorityLevel] = []
    for item in level_nodes:
        item.only("name", "label", "response", "resolution")
        name = item.name("name")
        if any(lv.name == name for lv in levels):
            raise ConfigError(item.key("name"), f'duplicate priority "{name}"')
        levels.append(
            PriorityLevel(
                name=name,
                label=item.string("label", name),
                response=item.duration("response"),
                resolution=item.duration("resolution"),
            )
        )
    if not levels:
        levels = list(DEFAULT_LEVELS)
    names = {lv.name for lv in levels}
    matrix_node = node.table("matrix")
    matrix: dict[tuple[str, str], str] = {}
    if not matrix_node.value:
        if (impacts, can_work) != (DEFAULT_IMPACTS, DEFAULT_CAN_WORK):
            raise ConfigError("priority.matrix", "required when impact or can_work are changed")
        matrix = dict(DEFAULT_MATRIX)
    else:
        matrix_node.only(*(c.key for c in impacts))
        for impact in impacts:
            row = matrix_node.table(impact.key)
            row.only(*(c.key for c in can_work))
            for answer in can_work:
                matrix[(impact.key, answer.key)] = row.string(answer.key)
    for (impact_key, answer_key), priority in matrix.items():
        if priority not in names:
            raise ConfigError(
                f"priority.matrix.{impact_key}.{answer_key}",
                f'unknown priority "{priority}" (known: {", ".join(sorted(names))})',
            )
    return PrioritySettings(impacts, can_work, urgencies, tuple(levels), matrix)


def _tiers(root: ConfigNode, timezone: str, known: Mapping[str, Platform]) -> tuple[Tier, ...]:
    items = root.tables("tiers")
    if not items:
        raise ConfigError("tiers", "at least one tier is required")
    tiers: list[Tier] = []
    for item in items:
        item.only("name", "label", "channels", "agents", "rotations")
        name = item.name("name")
        if any(t.name == name for t in tiers):
            raise ConfigError(item.key("name"), f'duplicate tier "{name}"')
        channels = item.table("channels")
        channels.only(*known)
        tiers.append(
            Tier(
                name=name,
                label=item.string("label", name),
                channels={k: channels.string(k) for k in channels.value},
                agents=item.identities("agents"),
                rotations=parse_layers(
                    item.value.get("rotations", []),
                    item.key("rotations"),
                    default_timezone=timezone,
                ),
            )
        )
        _check_people_and_channels(item, tiers[-1], known)
    return tuple(tiers)


def _categories(root: ConfigNode, tier_names: tuple[str, ...]) -> tuple[Category, ...]:
    categories: list[Category] = []
    for item in root.tables("categories"):
        item.only("key", "label", "chain", "product", "aliases")
        key = item.name("key")
        if any(c.key == key for c in categories):
            raise ConfigError(item.key("key"), f'duplicate category "{key}"')
        chain = item.str_list("chain", tier_names)
        for i, tier in enumerate(chain):
            if tier not in tier_names:
                raise ConfigError(item.key(f"chain[{i}]"), f'unknown tier "{tier}"')
        if len(set(chain)) != len(chain):
            raise ConfigError(item.key("chain"), "a tier appears twice")
        product = item.string("product", "") or None
        aliases = item.str_list("aliases", (), allow_empty=True)
        categories.append(
            Category(key, item.string("label", key), tuple(chain), product, tuple(aliases))
        )
    return tuple(categories)


def _products(root: ConfigNode) -> tuple[Product, ...]:
    products: list[Product] = []
    for item in root.tables("products"):
        item.only("key", "name", "versions")
        key = item.name("key")
        if any(p.key == key for p in products):
            raise ConfigError(item.key("key"), f'duplicate product "{key}"')
        versions: list[ProductVersion] = []
        for v in item.tables("versions"):
            v.only("version", "support_ends", "lts")
            version = v.string("version")
            if any(x.version == version for x in versions):
                raise ConfigError(v.key("version"), f'duplicate version "{version}"')
            versions.append(
                ProductVersion(version, v.date("support_ends"), v.boolean("lts", False))
            )
        if not versions:
            raise ConfigError(item.key("versions"), "list at least one version")
        products.append(Product(key, item.string("name", key), tuple(versions)))
    return tuple(products)


def _adapters(node: ConfigNode, known: Mapping[str, Platform]) -> Mapping[str, AdapterSettings]:
    """Every known platform's adapter, by name; a missing section means ``enabled = "auto"``,
    which turns on the adapters that need no credentials (the console) and no other."""
    for name in node.value:
        if name not in known:
            raise ConfigError(node.key(name), f"unknown adapter (known: {_names(known)})")
    adapters: dict[str, AdapterSettings] = {}
    for name in sorted(known):
        item = node.table(name)
        options = {k: v for k, v in item.value.items() if k != "enabled"}
        missing = known[name].missing_credentials(options)
        enabled_raw = item.value.get("enabled", "auto")
        if enabled_raw == "auto":
            enabled = not missing
        elif isinstance(enabled_raw, bool):
            enabled = enabled_raw
            if enabled and missing:
                raise ConfigError(item.key(missing[0]), f"required when {name} is enabled")
        else:
            raise ConfigError(item.key("enabled"), 'expected true, false or "auto"')
        adapters[name] = AdapterSettings(name, enabled, options)
    return adapters


def summarize(settings: Settings) -> Iterator[str]:
    """Lines describing a configuration, for ``tierdesk check-config``."""
    yield (
        f"storage: {settings.storage_url} (sent messages and handled event ids kept "
        f"{format_duration(settings.storage_keep)})"
    )
    yield f"time zone: {settings.timezone}"
    levels = ", ".join(
        f"{lv.name} {lv.label} (respond {format_duration(lv.response)}, "
        f"resolve {format_duration(lv.resolution)})"
        for lv in settings.priority.levels
    )
    yield f"priorities: {levels}"
    for (impact, can_work), priority in settings.priority.matrix.items():
        yield f"  {impact} × {can_work} → {priority}"
    yield "urgency (most urgent first): " + ", ".join(c.key for c in settings.priority.urgencies)
    yield "tiers (default chain): " + " → ".join(settings.default_chain)
    for tier in settings.tiers:
        channels = ", ".join(f"{p}={c}" for p, c in tier.channels.items()) or "none"
        yield f"  {tier.name} {tier.label}: {len(tier.agents)} agents; channels {channels}"
    for category in settings.categories:
        extra = f", asks {category.product} version" if category.product else ""
        yield f"category {category.key}: {' → '.join(category.chain)}{extra}"
    for product in settings.products:
        versions = ", ".join(v.version + (" LTS" if v.lts else "") for v in product.versions)
        yield f"product {product.key}: {versions}"
    for calendar in settings.sla.calendars.values():
        kind = "24x7" if calendar.always else "business hours"
        holidays = f", holidays {calendar.holidays_country}" if calendar.holidays_country else ""
        yield f"calendar {calendar.name}: {kind} in {calendar.zone}{holidays}"
    for policy in settings.sla.policies:
        used_by = ", ".join(policy.categories) or "every other category"
        targets = "; ".join(
            f"{p} {format_duration(t.response)}/{format_duration(t.resolution)} on {t.calendar}"
            for p, t in policy.targets.items()
        )
        yield f"SLA policy {policy.name} ({used_by}): {targets}"
    for tier in settings.tiers:
        if tier.rotations:
            layers = ", ".join(f"{layer.name} ({len(layer.members)})" for layer in tier.rotations)
            yield f"on-call {tier.name}: {layers}"
    yield "knowledge sources: " + (", ".join(str(s) for s in settings.knowledge.sources) or "none")
    yield "intake timeout: " + format_duration(settings.intake.timeout)
    yield "resolved tickets close unanswered after " + format_duration(
        settings.satisfaction.close_after
    )
    yield "leads (/report): " + (", ".join(map(str, settings.leads)) or "none")
    incidents = settings.incidents
    if incidents.enabled:
        auto = ", ".join(incidents.auto_declare) or "none"
        yield (
            f"incidents: {incidents.requesters} people alike within "
            f"{format_duration(incidents.window)}; declared at once for {auto}; "
            f"{'/'.join(incidents.page) or 'no priority'} page the on-call person"
        )
    else:
        yield "incidents: detection off"
    for adapter in settings.adapters.values():
        yield f"adapter {adapter.name}: {'enabled' if adapter.enabled else 'disabled'}"
