"""The OpenAPI document of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from caseworks.core.choices import Attitude, CaseKind, Stage, VisitMethod, Visitor, VisitOutcome, Willingness


def _enum(choice):
    return {"type": "string", "enum": [m.value for m in choice]}


DATE = {"type": "string", "format": "date"}
#: any text: every character but NUL, which no database stores (a request holding one is a 400)
TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}
ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "status": {"type": "integer"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok, **more):
    found = {
        "200": {"description": "OK", **_json(ok)},
        "401": {"description": "No valid bearer token", **_json(ERROR)},
        "403": {"description": "The caller's role may not do this", **_json(ERROR)},
        "400": {"description": "The request cannot be read (a NUL byte, malformed JSON)", **_json(ERROR)},
        "413": {"description": "The request body is too large", **_json(ERROR)},
        "503": {"description": "The database is unavailable for a moment: try again", **_json(ERROR)},
    }
    found.update(more)
    return found


def document():
    case_summary = {"$ref": "#/components/schemas/CaseSummary"}
    visit = {"$ref": "#/components/schemas/Visit"}
    not_found = {"description": "No such case, or outside the caller's scope", **_json(ERROR)}
    case_id = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    filters = [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in (
            ("stage", _enum(Stage)),
            ("kind", _enum(CaseKind)),
            ("township", {"type": "integer"}),
            ("village", {"type": "integer"}),
            ("school", {"type": "integer"}),
            ("group", TEXT),
            ("q", {**TEXT, "description": "name, or a whole ID number"}),
            ("mine", {"type": "string", "enum": ["1"]}),
            ("unassigned", {"type": "string", "enum": ["1"]}),
            ("page", {"type": "integer", "minimum": 1}),
        )
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "caseworks API",
            "version": "1",
            "description": "控辍保学: cases, their timelines and visits, with the same scope rules as the "
            "pages. Tokens: `flask --app wsgi users token USERNAME`. ID numbers and phone "
            "numbers are masked.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "outbox": {"type": "apiKey", "in": "header", "name": "X-Caseworks-Outbox"},
            },
            "schemas": {
                "Error": ERROR,
                "CaseSummary": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "child_name": {"type": "string"},
                        "id_number": {"type": "string", "description": "masked"},
                        "kind": _enum(CaseKind),
                        "stage": _enum(Stage),
                        "village": {"type": "string"},
                        "school": {"type": ["string", "null"]},
                        "teacher": {"type": ["string", "null"]},
                        "cadre": {"type": ["string", "null"]},
                        "is_fully_assigned": {"type": "boolean"},
                        "opened_date": DATE,
                        "version": {"type": "integer"},
                    },
                },
                "Visit": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "case_id": {"type": "integer"},
                        "due_date": {**DATE, "type": ["string", "null"]},
                        "purpose": {"type": "string"},
                        "visit_date": {**DATE, "type": ["string", "null"]},
                        "method": {"type": ["string", "null"]},
                        "outcome": {"type": ["string", "null"]},
                        "client_uuid": {"type": ["string", "null"]},
                        "is_done": {"type": "boolean"},
                    },
                },
                "NewVisit": {
                    "type": "object",
                    "required": ["client_uuid", "visit_date", "method", "outcome"],
                    "properties": {
                        "client_uuid": {
                            "type": "string",
                            "format": "uuid",
                            "description": "made on the phone; a resend with the same one records nothing new",
                        },
                        "planned_visit_id": {"type": "integer"},
                        "visit_date": DATE,
                        "method": _enum(VisitMethod),
                        "visitors": {"type": "array", "items": _enum(Visitor)},
                        "visitor_names": TEXT,
                        "met_with": TEXT,
                        "findings": TEXT,
                        "guardian_attitude": _enum(Attitude),
                        "child_willingness": _enum(Willingness),
                        "outcome": _enum(VisitOutcome),
                        "agreed_return_date": DATE,
                        "next_step": TEXT,
                        "latitude": {"type": "number"},
                        "longitude": {"type": "number"},
                    },
                },
            },
        },
        "paths": {
            "/cases": {
                "get": {
                    "summary": "Cases in the caller's scope, newest first (25 a page)",
                    "parameters": filters,
                    "responses": _responses(
                        {
                            "type": "object",
                            "properties": {
                                "items": {"type": "array", "items": case_summary},
                                "page": {"type": "integer"},
                                "pages": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        }
                    ),
                }
            },
            "/cases/{case_id}": {
                "get": {
                    "summary": "One case",
                    "parameters": [case_id],
                    "responses": _responses({"type": "object"}, **{"404": not_found}),
                }
            },
            "/cases/{case_id}/timeline": {
                "get": {
                    "summary": "What has happened to the case, newest first",
                    "parameters": [case_id],
                    "responses": _responses(
                        {
                            "type": "object",
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "when": {"type": "string", "format": "date-time"},
                                            "kind": {"type": "string"},
                                            "title": {"type": "string"},
                                            "detail": {"type": "string"},
                                            "actor": {"type": "string"},
                                        },
                                    },
                                }
                            },
                        },
                        **{"404": not_found},
                    ),
                }
            },
            "/cases/{case_id}/visits": {
                "post": {
                    "summary": "Log a visit that has been done (idempotent on client_uuid)",
                    "description": "Also the phone outbox's way in: with the browser's session instead of a "
                    "token when the request carries `X-Caseworks-Outbox: <protocol>` (and, optionally, "
                    "`X-Caseworks-User: <id of the user who typed it>`) from this site's own pages. As a "
                    "multipart form it takes up to 4 `photos` (JPEG, PNG or WebP, 5 MB each).",
                    "parameters": [case_id],
                    "security": [{"bearer": []}, {"outbox": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/NewVisit"}},
                            "multipart/form-data": {
                                "schema": {
                                    "allOf": [
                                        {"$ref": "#/components/schemas/NewVisit"},
                                        {
                                            "type": "object",
                                            "properties": {
                                                "photos": {
                                                    "type": "array",
                                                    "items": {"type": "string", "format": "binary"},
                                                }
                                            },
                                        },
                                    ]
                                }
                            },
                        },
                    },
                    "responses": _responses(
                        visit,
                        **{
                            "201": {"description": "Recorded", **_json(visit)},
                            "404": not_found,
                            "409": {"description": "The client_uuid was used for another case", **_json(ERROR)},
                            "422": {
                                "description": "Invalid input, by field (a case closed meanwhile under `case`); "
                                "nothing was recorded",
                                **_json(ERROR),
                            },
                            "426": {"description": "The outbox speaks a protocol this server dropped", **_json(ERROR)},
                        },
                    ),
                }
            },
            "/visits/due": {
                "get": {
                    "summary": "The caller's planned visits: overdue, today, this week, later",
                    "responses": _responses(
                        {
                            "type": "object",
                            "properties": {
                                key: {"type": "array", "items": visit} for key in ("overdue", "today", "week", "later")
                            },
                        }
                    ),
                }
            },
        },
    }
