from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.index, name="index"),
    # Before <slug>/ so that a token page can never be read as an event.
    path("rsvp/confirm/<str:token>/", views.rsvp_confirm, name="rsvp_confirm"),
    path("rsvp/<int:pk>/<str:token>/cancel/", views.rsvp_cancel, name="rsvp_cancel"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/rsvp/", views.rsvp, name="rsvp"),
]
