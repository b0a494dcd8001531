"""Language-free addresses: the JSON API and the calendar files (`?lang=fr` picks French text).

They live outside i18n_patterns so that a calendar subscription has one stable URL: /events/feed.ics and
/events/<slug>.ics, never under /fr/.
"""

from django.urls import path

from events import views

app_name = "events_api"
urlpatterns = [
    path("api/events", views.api_index, name="index"),
    path("events/feed.ics", views.feed_ics, name="feed"),
    path("events/<slug:slug>.ics", views.event_ics, name="ics"),
]
