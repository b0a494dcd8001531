"""gunicorn reads this file from its working directory (/app in the image, the repo root locally).

Options given on the command line (bind, workers, access log) still apply; this adds what every run of
the site needs: the access and error logs never show a private token (quitgpt.logredact).
"""

logger_class = "quitgpt.logredact.GunicornLogger"
