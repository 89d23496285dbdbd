"""Apps add their part of the demo community here (portal never imports apps).

A seeder is called with the staff user and a dict of demo members by username,
after the pages and members exist. It must be safe to run twice.
"""

from collections.abc import Callable

Seeder = Callable[..., None]
_seeders: dict[str, Seeder] = {}


def register_demo_seeder(name: str, seeder: Seeder) -> None:
    _seeders[name] = seeder


def demo_seeders() -> list[tuple[str, Seeder]]:
    return sorted(_seeders.items())
