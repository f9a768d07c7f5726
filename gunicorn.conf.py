"""gunicorn settings, read from the working directory by every gunicorn started in this checkout
(`make run`, the deployment command in the README, the tests and benchmarks)."""

# The access log names the path, never the query string or the referrer: a registry search
# carries a resident's ID or phone number in its URL, and no personal number may reach a log.
# Fields: client, -, user, time, "method path protocol", status, bytes, user agent, seconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s'
