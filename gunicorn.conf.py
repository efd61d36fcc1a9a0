"""gunicorn's settings for the production web server (`gunicorn -c gunicorn.conf.py mergeplan.wsgi`).

gunicorn reads ``./gunicorn.conf.py`` by itself when started in this folder; the command line wins over
what is set here. Variables: ``PORT`` (8000), ``WEB_CONCURRENCY`` (workers, 3), ``GUNICORN_TIMEOUT`` (60 s),
``FORWARDED_ALLOW_IPS`` (the proxies whose X-Forwarded-* gunicorn trusts; ``*`` inside compose's network,
where only the proxy can reach the web container).

No server banner: gunicorn sends ``Server: gunicorn`` and has no setting for it (27.x); the response
class is patched below so that no ``Server`` header is sent at all.
"""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"  # stable under load (see README, Speed); persistent DB connections per worker
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 1000  # recycle workers now and then (memory)
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# the access log without the query string's secrets (?token= of the calendar feed): %(U)s is the path only
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def _drop_server_header() -> None:
    import gunicorn
    from gunicorn.http import wsgi

    gunicorn.SERVER = wsgi.SERVER = ""
    original = wsgi.Response.default_headers
    if getattr(original, "_mergeplan_no_server", False):
        return

    def default_headers(self):
        return [h for h in original(self) if not h.lower().startswith("server:")]

    default_headers._mergeplan_no_server = True
    wsgi.Response.default_headers = default_headers


_drop_server_header()
