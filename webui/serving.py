"""How gunicorn serves the web app: `opera serve` uses these settings, and so do the benchmarks; a
deployment that runs gunicorn itself gives them with `gunicorn -c python:webui.serving 'webui:create_app()'`.
"""
threads = 4  # per worker process: a page waiting for the database leaves the process to another one
timeout = 60  # seconds: a request still running then is stopped (its worker restarted)
# Each request on a connection of its own. A kept-alive connection stays with the worker that accepted it:
# a few busy clients then keep one worker at work while another idles (measured: 1.7 s against 0.5 s of CPU
# for two workers under the same load); a new connection goes to whichever worker is free to accept it.
# Behind a reverse proxy (docs/deploy.md) the proxy keeps the browsers' connections alive.
keepalive = 0

SETTINGS = {"threads": threads, "timeout": timeout, "keepalive": keepalive}
