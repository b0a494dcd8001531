from django.urls import path

from campaign import views

app_name = "campaign_embed"
urlpatterns = [
    path("embed/pledge/", views.embed_pledge, name="pledge"),
]
