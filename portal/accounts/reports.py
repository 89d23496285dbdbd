"""PLACEHOLDER (helper C fills this in): this app's part of the community report."""


def register() -> None:
    pass
