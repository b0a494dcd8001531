from django.urls import path

from campaign import views

app_name = "campaign"
urlpatterns = [
    path("pledge/manage/<str:token>/switch/", views.switch, name="switch"),
    path("pledge/manage/<str:token>/reminder/", views.reminder, name="reminder"),
]
