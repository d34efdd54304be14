"""gunicorn settings for a shared deployment: ``gunicorn -c gunicorn.conf.py``.

Several worker processes share one PostgreSQL database (sessions, the login throttle
and imports live in the database, never in a worker's memory).  The access log leaves
out query strings and hides record identifiers in paths, because either may name a
child.  Every value can be overridden on the command line or by ``GUNICORN_*``
variables documented in ``docs/production.md``.
"""

import multiprocessing
import os
import re

from gunicorn.glogging import Logger

wsgi_app = "audit_app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() * 2 + 1)))
# Threads let a worker keep answering while an upload's import runs in the background.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Uploads of large workbooks and the report of a big import take longer than the default 30 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# No max_requests: recycling a worker would cut short an upload's import running in it.
# The reverse proxy on the same host sets X-Forwarded-Proto; trust it from there only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No preload: each worker builds its own database engine (connections must not be shared
# across a fork).
preload_app = False

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(U)s is the path without its query string; no referer (it carries query strings too);
# %(p)s is the worker's process id.
access_log_format = '%(h)s %(t)s %(p)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'

# A path segment that names nothing but a route (letters, hyphens, a file extension).
_ROUTE_WORD = re.compile(r"^[a-z][a-z-]*(\.[a-z]+)?$")


def redact_path(path: str) -> str:
    """``/cases/C001234/journey`` -> ``/cases/:id/journey``: identifiers never reach the log.

    Static files are left alone: their names identify nobody.
    """
    if path.startswith("/static/"):
        return path
    return "/".join(s if not s or _ROUTE_WORD.match(s) else ":id" for s in path.split("/"))


class RedactingLogger(Logger):
    """gunicorn's logger with identifiers taken out of request paths."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        atoms["r"] = f"{method} {path} {protocol}"
        atoms["q"] = ""
        atoms["f"] = "-"
        return atoms


logger_class = RedactingLogger
