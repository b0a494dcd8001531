"""quitgpt.middleware.CSPMiddleware: the policy built once per process is the header django-csp itself
builds, and a response with a policy of its own still gets django-csp's own answer."""

from __future__ import annotations

import csp.middleware
import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from quitgpt.middleware import CSPMiddleware

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def answer(middleware_class, path: str = "/", **attributes) -> HttpResponse:
    def view(request):
        response = HttpResponse("ok")
        for name, value in attributes.items():
            setattr(response, name, value)
        return response

    return middleware_class(view)(RequestFactory().get(path))


def headers(response: HttpResponse) -> dict:
    return {name: response[name] for name in HEADERS if name in response}


def test_the_cached_policy_is_the_header_django_csp_builds(settings) -> None:
    settings.DEBUG = False
    ours = CSPMiddleware(lambda request: HttpResponse("ok"))
    first, second = ours(RequestFactory().get("/")), ours(RequestFactory().get("/events/"))
    stock = answer(csp.middleware.CSPMiddleware)
    assert headers(stock)["Content-Security-Policy"]
    assert headers(first) == headers(second) == headers(stock)
    assert ours._built is not None  # the second answer came from the copy


def test_the_policy_is_built_once_for_many_responses(settings, monkeypatch) -> None:
    settings.DEBUG = False
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None  # the usual case: no report-only policy
    built = []
    stock_parts = csp.middleware.CSPMiddleware.get_policy_parts

    def counting_parts(self, request, response, report_only=False):
        if not report_only:
            built.append(request.path)
        return stock_parts(self, request=request, response=response, report_only=report_only)

    monkeypatch.setattr(csp.middleware.CSPMiddleware, "get_policy_parts", counting_parts)
    ours = CSPMiddleware(lambda request: HttpResponse("ok"))
    answers = [ours(RequestFactory().get(f"/page-{i}/")) for i in range(5)]
    assert built == ["/page-0/"]
    assert len({answer["Content-Security-Policy"] for answer in answers}) == 1


def test_a_response_with_its_own_policy_gets_django_csps_answer(settings) -> None:
    settings.DEBUG = False
    own = {"_csp_replace": {"frame-ancestors": ["*"]}}
    ours, stock = answer(CSPMiddleware, **own), answer(csp.middleware.CSPMiddleware, **own)
    assert "frame-ancestors *" in ours["Content-Security-Policy"]
    assert headers(ours) == headers(stock)
    exempt = answer(CSPMiddleware, _csp_exempt=True)
    assert "Content-Security-Policy" not in exempt


def test_a_changed_setting_is_built_anew(settings) -> None:
    settings.DEBUG = False
    ours = CSPMiddleware(lambda request: HttpResponse("ok"))
    ours(RequestFactory().get("/"))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert ours(RequestFactory().get("/"))["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.django_db
def test_a_page_through_the_whole_chain_carries_the_policy(client) -> None:
    response = client.get("/privacy/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
