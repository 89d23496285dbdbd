"""How FAQ entries and earlier replies appear in the semantic index."""


def register() -> None:
    pass
