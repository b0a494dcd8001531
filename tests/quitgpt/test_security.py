from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from quitgpt.security import same_origin_post


@same_origin_post
def form_view(request):
    return HttpResponse("ok")


def test_it_accepts_a_post_from_our_own_origin() -> None:
    rf = RequestFactory()
    assert form_view(rf.post("/", HTTP_SEC_FETCH_SITE="same-origin")).status_code == 200
    assert form_view(rf.post("/", HTTP_ORIGIN="http://testserver")).status_code == 200
    assert form_view(rf.post("/", HTTP_REFERER="http://testserver/pledge/")).status_code == 200


def test_it_refuses_a_cross_site_post_without_any_cookie_check() -> None:
    rf = RequestFactory()
    assert form_view(rf.post("/", HTTP_SEC_FETCH_SITE="cross-site")).status_code == 403
    assert form_view(rf.post("/", HTTP_ORIGIN="https://evil.example")).status_code == 403
    assert form_view(rf.post("/", HTTP_ORIGIN="null")).status_code == 403
    assert form_view(rf.post("/")).status_code == 403


def test_it_lets_reads_through() -> None:
    assert form_view(RequestFactory().get("/")).status_code == 200
