"""The message log viewer: payloads pretty-printed, filters, CallErrors highlighted."""

import json

import pytest
from django.urls import reverse

from stations.models import OcppMessage
from stations.views.station_pages import pretty_frame
from tests.support.factories import make_station


@pytest.fixture
def log(db):
    station = make_station("CP 1+ä")
    frames = [
        ("in", 2, "BootNotification", [2, "a", "BootNotification", {"chargePointVendor": "V"}]),
        ("out", 3, "BootNotification", [3, "a", {"status": "Accepted", "interval": 300}]),
        ("in", 2, "Heartbeat", [2, "b", "Heartbeat", {}]),
        ("out", 4, "Heartbeat", [4, "b", "FormationViolation", "Bad heartbeat", {"at": "x"}]),
    ]
    for direction, message_type, action, frame in frames:
        OcppMessage.objects.create(
            station=station,
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=frame[1],
            error_code=frame[2] if message_type == 4 else "",
            payload=json.dumps(frame),
        )
    return station


@pytest.fixture
def page(client, operator, log):
    client.force_login(operator)
    url = reverse("dashboard:station-messages", args=[log.station_id])

    def get(query: str = ""):
        return client.get(f"{url}?{query}")

    return get


def test_all_frames_are_listed_newest_first(page):
    response = page()
    assert [m.unique_id for m in response.context["page"]] == ["b", "b", "a", "a"]
    html = response.content.decode()
    assert "&quot;chargePointVendor&quot;: &quot;V&quot;" in html  # indented JSON
    assert "FormationViolation" in html and "Bad heartbeat" in html


def test_call_errors_are_highlighted(page):
    html = page().content.decode()
    assert html.count("message-error") == 1
    assert 'message message-out message-error" data-message-type="4"' in html


def test_filter_by_action(page):
    response = page("action=BootNotification")
    assert [m.message_type for m in response.context["page"]] == [3, 2]
    assert b'<option value="Heartbeat">' in response.content


def test_filter_call_errors_only(page):
    assert [m.action for m in page("errors_only=on").context["page"]] == ["Heartbeat"]


def test_filter_by_direction(page):
    assert [m.message_type for m in page("direction=out").context["page"]] == [4, 3]


def test_the_log_is_paginated(page, monkeypatch):
    monkeypatch.setattr("stations.views.station_pages.MESSAGES_PER_PAGE", 3)
    first = page()
    assert len(first.context["page"]) == 3 and b"Page 1 of 2" in first.content
    assert len(page("page=2").context["page"]) == 1


def test_pretty_frame_shows_the_payload_of_each_kind():
    assert pretty_frame('[2,"1","Heartbeat",{}]') == ("{}", "")
    assert pretty_frame('[3,"1",{"a":1}]') == ('{\n  "a": 1\n}', "")
    assert pretty_frame('[4,"1","NotImplemented","No",{}]') == ("{}", "No")
    assert pretty_frame("not json [") == ("not json [", "")
    assert pretty_frame('{"a": "上海"}') == ('{\n  "a": "上海"\n}', "")
