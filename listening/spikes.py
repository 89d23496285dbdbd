"""PLACEHOLDER (helper D fills this in): spike alerts."""


def spikes_detect() -> list[int]:
    return []
