from django.urls import path

from pledges import views

app_name = "pledges"
urlpatterns = [
    path("pledge/", views.pledge, name="pledge"),
    path("supporters/", views.supporters, name="supporters"),
]
