"""Product lifecycle: is a version still supported, and what to tell people when it is not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ProductVersion:
    version: str
    support_ends: date | None = None  # None: supported until further notice
    lts: bool = False


@dataclass(frozen=True, slots=True)
class Product:
    key: str
    name: str
    versions: tuple[ProductVersion, ...]


@dataclass(frozen=True, slots=True)
class SupportStatus:
    """What the lifecycle table says about one product version."""

    product: str
    version: str
    known: bool
    supported: bool | None  # None when the version is not in the table
    ends: date | None = None
    lts: bool = False


def support_status(product: Product, version: str, today: date) -> SupportStatus:
    """Look ``version`` up in ``product``'s table; versions compare as exact strings."""
    wanted = version.strip().lower().removeprefix("v")
    for entry in product.versions:
        if entry.version.lower().removeprefix("v") == wanted:
            supported = entry.support_ends is None or today <= entry.support_ends
            return SupportStatus(
                product.name, entry.version, True, supported, entry.support_ends, entry.lts
            )
    return SupportStatus(product.name, version.strip(), False, None)
