"""Home page sections that the community apps fill in.

`portal` never imports the apps, so an app registers a provider for a section
key (for example "latest_ideas") in its AppConfig.ready. Until an app does, the
section shows its empty state on the home page.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SectionProvider:
    items: Callable[..., Sequence[Any]]
    item_template: str


_providers: dict[str, SectionProvider] = {}


def register_home_section(
    key: str, *, items: Callable[..., Sequence[Any]], item_template: str
) -> None:
    _providers[key] = SectionProvider(items=items, item_template=item_template)


def home_section_provider(key: str) -> SectionProvider | None:
    return _providers.get(key)
