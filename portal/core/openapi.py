def only_public_api(endpoints):
    """Keep Seed's own API in the schema; Wagtail's admin API is internal."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


# DRF answers every error with a JSON body: {"detail": "..."} for
# authentication, permissions, a missing object, a bad media type or a
# throttle; the messages per field (or a list of messages) for a validation
# error. https://www.django-rest-framework.org/api-guide/exceptions/
ERROR_SCHEMA = {
    "description": 'DRF\'s error body: {"detail": "..."}, or the messages per '
    "field, or a list of messages.",
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ],
}
ERROR_DESCRIPTIONS = {
    "400": "The request is invalid; the body says what to fix.",
    "401": "No valid credentials (a missing or wrong token).",
    "403": "The credentials do not allow this.",
    "404": "There is no such object, or it is not visible to the caller.",
    "415": "The request body has a media type the endpoint does not read.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


def document_errors(result, generator, request, public):
    """Document the error responses each operation can give.

    drf-spectacular lists only the success response, so a client (and
    schemathesis's status code check) would think any 4xx is undocumented.
    Which errors apply follows from the operation itself: every call can be
    unauthenticated, forbidden or throttled; parameters and bodies can be
    invalid; a path with an id can point at nothing; a body can have the
    wrong media type. An error the view already documents is left alone.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = operation.get("parameters", [])
            codes = ["401", "403", "429"]
            if operation.get("requestBody") or any(
                p.get("in") == "query" for p in parameters
            ):
                codes.append("400")
            # A missing object, or a page number past the last page.
            if any(
                p.get("in") == "path"
                or (p.get("in"), p.get("name")) == ("query", "page")
                for p in parameters
            ):
                codes.append("404")
            if operation.get("requestBody"):
                codes.append("415")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
