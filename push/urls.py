from django.urls import path

from . import views

app_name = "push"
urlpatterns = [
    path("push/subscriptions/", views.subscriptions, name="subscriptions"),
    path("push/devices/<id:pk>/remove/", views.remove_device, name="remove-device"),
]
