"""PLACEHOLDER (helper A fills this in): the daily mention rollup."""


def rollup_refresh() -> dict:
    return {}
