from django.urls import path

from pledges import views

app_name = "pledges"
urlpatterns = [
    path("pledge/", views.pledge, name="pledge"),
    path("pledge/check-your-email/", views.check_email, name="check_email"),
    path("pledge/confirm/<str:token>/", views.confirm, name="confirm"),
    path("pledge/thanks/<str:code>/", views.thanks, name="thanks"),
    path("pledge/manage/<str:token>/", views.manage, name="manage"),
    path("pledge/manage/<str:token>/my-data.json", views.manage_export, name="manage_export"),
    path("pledge/erased/", views.erased, name="erased"),
    path("supporters/", views.supporters, name="supporters"),
    # "My pledges" for a signed-in supporter (/accounts/pledges/) is accounts:mine: it shows their RSVPs
    # too, and reuses pledges.self_service for the pledges.
]
