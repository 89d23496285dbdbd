"""PLACEHOLDER (helper B fills this in): the invitations report."""


def register() -> None:
    pass
