"""gunicorn settings for `make serve` (production): threads in a few processes, sized to the
machine, an access log with each request's time, behind any reverse proxy (set
CASEWORKS_TRUSTED_PROXIES to the number of proxies in front, so each user keeps their address)."""

import multiprocessing
import os

bind = os.environ.get("CASEWORKS_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
#: one process per core: the work is CPU (templates, ORM) and PostgreSQL waits, which threads cover
workers = int(os.environ.get("CASEWORKS_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("CASEWORKS_THREADS", 4))
#: a request that takes longer than this is stuck: the worker is replaced
timeout = 60
graceful_timeout = 30
#: recycle workers now and then so that memory cannot creep
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
#: who, what, status, bytes, and the time taken in milliseconds (%(M)s)
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
