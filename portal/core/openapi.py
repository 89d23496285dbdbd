def only_public_api(endpoints):
    """Keep Seed's own API in the schema; Wagtail's admin API is internal."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]
