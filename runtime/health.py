"""Liveness for the load balancer, answered by the event loop alone.

A balancer's check through Django (middleware, a view on a worker thread) slows
down with the process under load: in a reconnect storm every busy daphne then
fails its check, the balancer marks all of them down and refuses everyone. This
answer only says the process is alive and its loop turns. The database is left
out on purpose: during a PostgreSQL outage stations must stay on their sockets
and get CallErrors, not be sent away by the balancer.
"""

HEALTH_PATH = "/healthz"


def with_health_check(app):
    """`app`, with `GET /healthz` answered 200 before Django sees it."""

    async def application(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"cache-control", b"no-store")],
                }
            )
            await send({"type": "http.response.body", "body": b"ok\n"})
            return
        await app(scope, receive, send)

    return application
