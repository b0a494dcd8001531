"""How the site writes dates and times for people, per language (`FORMAT_MODULE_PATH`): one date style
and one date-time style each, 24-hour times with the time zone. Read them only through `quitgpt.dates`
(and its template filters `human_date`, `human_datetime`, `human_time` in `site_tags`), never with a
format string of one's own: `tests/quitgpt/test_dates.py` greps the templates and the code for one."""
