"""Product lifecycle: is a version still supported, and what to tell people when it is not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.settings import Product


@dataclass(frozen=True, slots=True)
class SupportStatus:
    """What the lifecycle table says about one product version."""

    product: str
    version: str
    known: bool
    supported: bool | None  # None when the version is not in the table
    ends: date | None = None
    lts: bool = False

    def notice(self) -> str:
        """A sentence for the requester and the agent; empty when nothing needs saying."""
        if not self.known:
            return (
                f"{self.product} {self.version} is not in our lifecycle table; "
                "an agent will check it."
            )
        if self.supported is False and self.ends is not None:
            return (
                f"{self.product} {self.version} reached its end of support on "
                f"{self.ends.isoformat()}. We will still look at it, but a fix may need an upgrade."
            )
        return ""


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
