"""Routing by method and path, and the response helpers."""

from __future__ import annotations

import json

from bot.http.requests import Router, WebRequest, WebResponse


def ok(_request: WebRequest) -> WebResponse:
    return WebResponse.text(200, "ok")


def test_a_route_is_found_with_its_path_params() -> None:
    router = Router()
    router.add("GET", r"/rota/(?P<secret>[a-z]+)\.ics", ok)
    assert router.resolve("GET", "/rota/abc.ics") == (ok, {"secret": "abc"}, False)


def test_the_whole_path_must_match() -> None:
    router = Router()
    router.add("GET", "/healthz", ok)
    assert router.resolve("GET", "/healthz/more") == (None, {}, False)


def test_a_path_known_for_another_method_says_so() -> None:
    router = Router()
    router.add("POST", "/zendesk/webhook", ok)
    assert router.resolve("GET", "/zendesk/webhook") == (None, {}, True)


def test_headers_are_read_whatever_their_case() -> None:
    request = WebRequest("GET", "/", "", {"content-type": "text/plain"}, b"")
    assert request.header("Content-Type") == "text/plain"
    assert request.header("X-Missing") is None


def test_json_and_text_responses_say_their_content_type() -> None:
    answer = WebResponse.json(200, {"ok": True})
    assert json.loads(answer.body) == {"ok": True}
    assert answer.headers == {"Content-Type": "application/json"}
    assert WebResponse.text(404, "not found").headers == {
        "Content-Type": "text/plain; charset=utf-8"
    }
