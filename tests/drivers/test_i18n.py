"""Drivers' pages in Simplified Chinese."""

from tests.support.factories import make_station


def test_connector_page_speaks_chinese(client, db):
    make_station("EB-1", connected=True)
    page = client.get("/c/EB-1/1/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录后开始" in page and "此处免费充电" in page


def test_me_speaks_chinese(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("dora"))
    page = client.get("/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "正在充电" in page and "当前没有充电" in page
