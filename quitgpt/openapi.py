"""The OpenAPI 3.1 description of the public JSON endpoints, served at /api/openapi.json.

This is the one place to describe an open-data endpoint. To add one (e.g. `/api/log/head`) or a key
(e.g. `switched` per alternative, `deleted` in `by_kind`):
  1. add its schema under `SCHEMAS` and its path under `PATHS` below (keys are public: add, never
     rename; objects stay open to additions with `additionalProperties`),
  2. declare the view `@public_api` (quitgpt/security.py: GET and HEAD only, others 405, CORS open),
  3. give the test data in tests/quitgpt/test_openapi.py a row that makes the new key appear.
tests/quitgpt/test_openapi.py runs schemathesis against every path listed here, so a 500, a response
that does not match its schema or a wrong method that does not answer 405 fails CI.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

INT = {"type": "integer", "minimum": 0}
COUNTS = {"type": "object", "additionalProperties": INT, "description": "A count per key."}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
PER_LANGUAGE = {
    "type": "object",
    "properties": {"en": {"type": "string"}, "fr": {"type": "string"}},
    "required": ["en", "fr"],
}

HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
HEX_LIST = {"type": "array", "items": HEX64}
BASE64 = {"type": "string", "contentEncoding": "base64"}

SCHEMAS: dict[str, Any] = {
    "Tally": {
        "type": "object",
        "description": "The published count. `total` = `people` (confirmed pledges, one per mailbox) + "
        "`reported` (tallies reported by others, unverified unless marked).",
        "required": [
            "total",
            "display",
            "display_i18n",
            "people",
            "reported",
            "by_kind",
            "by_country",
            "by_source",
            "held",
            "goal",
            "goal_i18n",
            "updated_at",
            "computed_at",
        ],
        "properties": {
            "total": INT,
            "display": {"type": "string", "description": 'The total floored to two figures: "1.5M+".'},
            "display_i18n": PER_LANGUAGE,
            "people": INT,
            "reported": INT,
            "by_kind": {**COUNTS, "description": "People per pledge kind (a person counts once per kind)."},
            "by_country": {**COUNTS, "description": 'People per ISO 3166 country code; "--" when not given.'},
            "by_source": {"type": "array", "items": {"$ref": "#/components/schemas/TallySource"}},
            "held": {**COUNTS, "description": "Pledges that do not count, per reason."},
            "goal": INT,
            "goal_i18n": PER_LANGUAGE,
            "updated_at": {**NULLABLE_DATE_TIME, "description": "When the tally job last confirmed it."},
            "computed_at": {**NULLABLE_DATE_TIME, "description": "When these figures were first computed."},
            "log": {
                "type": "object",
                "description": "The signed head of the count's log that `people` is backed by.",
                "required": ["tree_size", "root_hash"],
                "properties": {"tree_size": INT, "root_hash": HEX64},
                "additionalProperties": True,
            },
            "reported_note_i18n": {
                **PER_LANGUAGE,
                "description": 'The words labelling `reported` ("" if 0).',
            },
            "reported_short_i18n": PER_LANGUAGE,
            "switched": {
                **COUNTS,
                "description": "Counted people who say they switched to each alternative (by slug).",
            },
            "by_partner": {
                **COUNTS,
                "description": "Counted people who pledged through each partner's embedded form (by code).",
            },
            "estimate": {
                "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/PressureEstimate"}],
                "description": "Yearly subscription revenue of the confirmed cancellations; null without a "
                "plan price.",
            },
        },
        "additionalProperties": True,
    },
    "PressureEstimate": {
        "type": "object",
        "description": "An estimate, not a measurement: cancelled_people x monthly_price x 12.",
        "required": [
            "yearly_revenue",
            "currency",
            "monthly_price",
            "cancelled_people",
            "price_source",
            "method",
        ],
        "properties": {
            "yearly_revenue": INT,
            "currency": {"type": "string"},
            "monthly_price": {"type": "string", "description": 'A decimal, e.g. "20.00".'},
            "cancelled_people": INT,
            "price_source": {"type": "string"},
            "is_estimate": {"type": "boolean"},
            "method": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "TallySource": {
        "type": "object",
        "required": ["source", "count", "verified"],
        "properties": {
            "source": {"type": "string"},
            "count": INT,
            "verified": {"type": "boolean"},
            "date": {"type": "string", "format": "date"},
            "kind": {"type": ["string", "null"]},
            "evidence_url": {"type": "string"},
            "reported_id": {"type": "integer"},
        },
        "additionalProperties": True,
    },
    "DailyTally": {
        "type": "object",
        "required": ["description", "days"],
        "properties": {
            "description": {"type": "string"},
            "days": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["date", "people", "by_kind", "by_country"],
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "people": INT,
                        "by_kind": COUNTS,
                        "by_country": COUNTS,
                    },
                    "additionalProperties": True,
                },
            },
        },
        "additionalProperties": True,
    },
    "Alternative": {
        "type": "object",
        "required": [
            "name",
            "slug",
            "maker",
            "website",
            "category",
            "stance",
            "summary",
            "body",
            "reason",
            "attributes",
            "needs_review",
            "last_reviewed",
            "order",
            "updated_at",
        ],
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "maker": {"type": "string"},
            "website": {"type": "string"},
            "category": {"type": ["string", "null"], "enum": ["privacy", "open_source", "mainstream", None]},
            "stance": {"type": "string", "enum": ["recommended", "listed", "avoid"]},
            "summary": PER_LANGUAGE,
            "body": PER_LANGUAGE,
            "reason": PER_LANGUAGE,
            "attributes": {
                "type": "object",
                "description": "true, false, or null when not checked yet.",
                "additionalProperties": {"type": ["boolean", "null"]},
            },
            "needs_review": {"type": "boolean"},
            "last_reviewed": {"type": ["string", "null"], "format": "date"},
            "order": {"type": "integer"},
            "updated_at": DATE_TIME,
            "switched": {**INT, "description": "Counted supporters who say they switched to it."},
        },
        "additionalProperties": True,
    },
    "Directory": {
        "type": "object",
        "required": ["alternatives"],
        "properties": {
            "alternatives": {"type": "array", "items": {"$ref": "#/components/schemas/Alternative"}}
        },
        "additionalProperties": True,
    },
    "Event": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "title_fr",
            "starts_at",
            "ends_at",
            "timezone",
            "status",
            "past",
            "capacity",
            "confirmed_rsvps",
            "url",
            "url_fr",
            "ics",
        ],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "title_fr": {"type": "string"},
            "description": {"type": "string"},
            "description_fr": {"type": "string"},
            "starts_at": {**DATE_TIME, "description": "UTC."},
            "ends_at": {**DATE_TIME, "description": "UTC."},
            "timezone": {"type": "string", "description": "The IANA time zone of the venue."},
            "local_starts_at": {**DATE_TIME, "description": "Local time with its offset."},
            "local_ends_at": DATE_TIME,
            "details_to_confirm": {"type": "boolean"},
            "venue": {"type": "string"},
            "address": {"type": "string"},
            "city": {"type": "string"},
            "country": {"type": "string"},
            "latitude": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
            "longitude": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
            "status": {"type": "string", "enum": ["scheduled", "postponed", "cancelled"]},
            "past": {"type": "boolean"},
            "capacity": {"type": ["integer", "null"], "minimum": 1},
            "confirmed_rsvps": INT,
            "url": {"type": "string", "format": "uri"},
            "url_fr": {"type": "string", "format": "uri"},
            "ics": {"type": "string", "format": "uri"},
        },
        "additionalProperties": True,
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What was wrong, in plain words."}},
        "additionalProperties": True,
    },
    "TreeHead": {
        "type": "object",
        "description": "A signed tree head of the count's log: Ed25519 `signature` (base64) over the "
        'UTF-8 of "quitgpt-log-v1\\n{tree_size}\\n{root_hash}\\n{counted}\\n{timestamp}\\n".',
        "required": ["tree_size", "root_hash", "counted", "timestamp", "signature", "key_id"],
        "properties": {
            "tree_size": INT,
            "root_hash": {
                **HEX64,
                "description": "RFC 9162 Merkle tree hash of the first tree_size entries.",
            },
            "counted": {"type": "integer", "description": "The sum of the entries' deltas: people counted."},
            "timestamp": {"type": "string", "description": "ISO 8601, exactly as signed."},
            "signature": BASE64,
            "key_id": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "TreeHeads": {
        "type": "object",
        "required": ["heads"],
        "properties": {
            "heads": {"type": "array", "items": {"$ref": "#/components/schemas/TreeHead"}},
            "page": {"type": "integer", "minimum": 1},
            "next": {"type": ["string", "null"]},
        },
        "additionalProperties": True,
    },
    "LogKeys": {
        "type": "object",
        "required": ["algorithm", "public_key", "key_id", "keys"],
        "properties": {
            "algorithm": {"type": "string", "const": "ed25519"},
            "public_key": {**BASE64, "description": "The raw 32-byte Ed25519 public key."},
            "key_id": {"type": "string"},
            "keys": {
                "type": "array",
                "description": "Older keys: heads they signed stay verifiable.",
                "items": {
                    "type": "object",
                    "required": ["key_id", "public_key"],
                    "properties": {"key_id": {"type": "string"}, "public_key": BASE64},
                    "additionalProperties": True,
                },
            },
        },
        "additionalProperties": True,
    },
    "LogEntries": {
        "type": "object",
        "required": ["entries"],
        "properties": {
            "entries": {
                "type": "array",
                "maxItems": 1000,
                "items": {
                    "type": "object",
                    "required": ["index", "leaf", "leaf_hash"],
                    "properties": {
                        "index": INT,
                        "leaf": {
                            "type": "object",
                            "description": "Nothing personal. leaf_hash = SHA-256(0x00 || canonical JSON).",
                            "required": ["commitment", "day", "delta", "kinds"],
                            "properties": {
                                "commitment": HEX64,
                                "day": {"type": "string", "format": "date"},
                                "delta": {"type": "integer", "enum": [1, -1]},
                                "kinds": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                            },
                            "additionalProperties": False,
                        },
                        "leaf_hash": HEX64,
                    },
                    "additionalProperties": True,
                },
            }
        },
        "additionalProperties": True,
    },
    "InclusionProof": {
        "type": "object",
        "required": ["leaf_index", "tree_size", "audit_path"],
        "properties": {"leaf_index": INT, "tree_size": INT, "audit_path": HEX_LIST},
        "additionalProperties": True,
    },
    "ConsistencyProof": {
        "type": "object",
        "required": ["first", "second", "consistency"],
        "properties": {"first": INT, "second": INT, "consistency": HEX_LIST},
        "additionalProperties": True,
    },
    "Events": {
        "type": "object",
        "required": ["events", "feed"],
        "properties": {
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
            "feed": {"type": "string", "format": "uri", "description": "The iCalendar feed of every event."},
        },
        "additionalProperties": True,
    },
}

CORS = {
    "Access-Control-Allow-Origin": {
        "description": "Always `*`: any site may read the open data.",
        "schema": {"type": "string", "const": "*"},
    }
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": CORS,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of a copy you hold: 304 when it is still current.",
    "schema": {"type": "string"},
}

BAD = _json("Error", "A parameter is missing or out of range; nothing was done.")


def _query(name: str, description: str, *, required: bool = False, minimum: int = 0) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum},
    }


PATHS: dict[str, Any] = {
    "/api/tally": {
        "get": {
            "operationId": "tally",
            "summary": "The published count",
            "description": "Cacheable (ETag, Last-Modified, Cache-Control: public); never counts rows.",
            "parameters": [IF_NONE_MATCH],
            "responses": {
                "200": _json("Tally", "The figures."),
                "304": {"description": "The copy named by If-None-Match is current."},
            },
        }
    },
    "/api/tally/daily.json": {
        "get": {
            "operationId": "tally_daily",
            "summary": "People counted per day (UTC) of their first confirmed pledge",
            "responses": {"200": _json("DailyTally", "One entry per day with people counted.")},
        }
    },
    "/api/tally/daily.csv": {
        "get": {
            "operationId": "tally_daily_csv",
            "summary": "The daily data as CSV: date, country, kinds, people",
            "responses": {
                "200": {
                    "description": "One row per (day, country, kinds); the rows sum to people.",
                    "headers": CORS,
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                }
            },
        }
    },
    "/api/alternatives": {
        "get": {
            "operationId": "alternatives",
            "summary": "The published directory of alternatives",
            "responses": {"200": _json("Directory", "Every published entry, in the directory's order.")},
        }
    },
    "/api/events": {
        "get": {
            "operationId": "events",
            "summary": "The published events, soonest first",
            "responses": {"200": _json("Events", "Upcoming and past published events.")},
        }
    },
    "/api/log/head": {
        "get": {
            "operationId": "log_head",
            "summary": "The latest signed tree head of the count's log",
            "responses": {
                "200": _json("TreeHead", "The head."),
                "404": _json("Error", "Nothing counted yet, so no head."),
            },
        }
    },
    "/api/log/heads": {
        "get": {
            "operationId": "log_heads",
            "summary": "Signed heads, newest first, 100 a page",
            "parameters": [_query("page", "The page, from 1.", minimum=1)],
            "responses": {"200": _json("TreeHeads", "One page of heads."), "400": BAD},
        }
    },
    "/api/log/key": {
        "get": {
            "operationId": "log_key",
            "summary": "The Ed25519 public key that signs the heads, and every older one",
            "responses": {"200": _json("LogKeys", "The keys.")},
        }
    },
    "/api/log/entries": {
        "get": {
            "operationId": "log_entries",
            "summary": "Entries start <= index < end (at most 1,000), or those of one receipt commitment",
            "parameters": [
                _query("start", "First index (default 0)."),
                _query("end", "One past the last index (default start + 1000; capped at 1,000 a page)."),
                {
                    "name": "commitment",
                    "in": "query",
                    "required": False,
                    "description": "A receipt commitment: its entries instead of a range.",
                    "schema": HEX64,
                },
            ],
            "responses": {"200": _json("LogEntries", "The entries."), "400": BAD},
        }
    },
    "/api/log/proof": {
        "get": {
            "operationId": "log_proof",
            "summary": "RFC 9162 inclusion proof of one entry in the tree of a given size",
            "parameters": [
                _query("index", "The entry.", required=True),
                _query("tree_size", "The tree size (default: the latest head's).", minimum=1),
            ],
            "responses": {"200": _json("InclusionProof", "The audit path, leaf side first."), "400": BAD},
        }
    },
    "/api/log/consistency": {
        "get": {
            "operationId": "log_consistency",
            "summary": "RFC 9162 consistency proof between two tree sizes",
            "parameters": [
                _query("first", "The older tree size.", required=True, minimum=1),
                _query("second", "The newer tree size (default: the latest head's).", minimum=1),
            ],
            "responses": {"200": _json("ConsistencyProof", "The proof."), "400": BAD},
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This description",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1.",
                    "headers": CORS,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "QuitGPT open data",
            "version": "1",
            "description": "The public JSON endpoints. No personal data, no cookie, no key; CORS open; "
            "cacheable. Every endpoint answers GET and HEAD only (other methods: 405).",
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
