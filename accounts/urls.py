from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    # allauth's own pages live under accounts/ too (login/, signup/, 2fa/, ...); it has no page at the root.
    path("accounts/", views.index, name="index"),
    # "My pledges": the signed-in person's pledges and RSVPs (was pledges:mine; same addresses).
    path("accounts/pledges/", views.mine, name="mine"),
    path("accounts/pledges/my-data.json", views.mine_export, name="mine_export"),
]
