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
