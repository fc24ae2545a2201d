"""The test settings' login guard: django-axes, minus the test client's shortcut.

`Client.login()` calls `authenticate()` without a request, which axes refuses. Like
`force_login`, that shortcut is no login page, so it is let through here; every real
login (a POST to a login page) carries its request and meets the full axes checks.
"""

from axes.backends import AxesStandaloneBackend


class TestClientAwareAxesBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # the next backend (ModelBackend) decides
        return super().authenticate(request, username=username, password=password, **kwargs)
