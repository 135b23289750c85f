"""Additions to the generated OpenAPI document: the error answers every operation can give."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "description": "What went wrong (in the language of the response).",
}
VALIDATION_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    },
    "description": "The messages per field (``detail`` or ``non_field_errors`` when not about one field).",
}
ERRORS = {
    "400": ("Bad input: a query parameter or field with a wrong value.", "ValidationError"),
    "401": ("No credentials, or an unknown or revoked token.", "Error"),
    "403": ("Signed in, but this role may not do this.", "Error"),
    "404": ("Not found, or a record the caller may not see.", "Error"),
    "409": ("The step cannot be taken now (done already, or the case moved on).", "Error"),
    "429": ("Too many requests: wait for the time in Retry-After.", "Error"),
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document 400/401/403/404/409/429 with their body."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ValidationError"] = VALIDATION_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in ERRORS.items():
                if code == "409" and method == "get":
                    continue  # only a write can find its step taken already
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{schema}"}
                            }
                        },
                    },
                )
    return result
