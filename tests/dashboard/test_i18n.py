"""Every page ships in English and Simplified Chinese; times in the site's time zone."""

import datetime as dt

import pytest
from django.urls import reverse

from stations.models import ChargingSession, Connector, Site
from tests.support.factories import make_station

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


@pytest.fixture
def shanghai_station(db):
    site = Site.objects.create(name="上海 Xintiandi", timezone="Asia/Shanghai")
    station = make_station("EB 1+上海", site=site, kind="ebike", connected=True)
    Connector.objects.filter(station=station, connector_id=1).update(status="Charging")
    ChargingSession.objects.create(
        station=station,
        connector=station.connectors.get(connector_id=1),
        transaction_id="1",
        id_tag="TAG-1",
        started_at=dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC),
    )
    return station


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/", ["网络概览", "在线充电桩", "今日电量", "充电中", "空闲"]),
        ("/stations/", ["充电桩", "搜索", "有充电口处于", "电动自行车充电桩", "在线"]),
        ("/stations/EB%201+%E4%B8%8A%E6%B5%B7/", ["基本信息", "充电口", "指令", "重启"]),
        ("/stations/EB%201+%E4%B8%8A%E6%B5%B7/messages/", ["消息日志", "全部操作"]),
        ("/sessions/", ["充电会话", "导出 CSV", "进行中"]),
    ],
)
def test_pages_speak_chinese_to_a_chinese_browser(operator_client, shanghai_station, url, words):
    html = operator_client.get(url, **ZH).content.decode()
    assert '<html lang="zh-hans">' in html
    for word in words:
        assert word in html, word


def test_the_live_script_gets_translated_status_names(operator_client, shanghai_station):
    html = operator_client.get("/stations/", **ZH).content.decode()
    assert '"Charging": "\\u5145\\u7535\\u4e2d"' in html  # 充电中, JSON-escaped


def test_english_is_the_default(operator_client, shanghai_station):
    html = operator_client.get("/").content.decode()
    assert '<html lang="en">' in html and "Network overview" in html


def test_the_switcher_remembers_the_choice(operator_client, shanghai_station):
    response = operator_client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/sessions/"}
    )
    assert response["Location"] == "/sessions/"
    assert "充电会话" in operator_client.get("/sessions/").content.decode()


def test_login_page_is_translated(client, db):
    assert "运营人员登录" in client.get(reverse("login"), **ZH).content.decode()


def test_times_are_in_the_sites_time_zone(operator_client, shanghai_station):
    html = operator_client.get(
        reverse("dashboard:station", args=[shanghai_station.station_id])
    ).content
    assert "07:30" in html.decode()  # 23:30 UTC is 07:30 the next day in Shanghai
