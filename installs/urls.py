"""Install pages."""

from django.urls import path

from installs import views

urlpatterns = [
    path("plugins/<str:name>/install/", views.install_page, name="plugin-install-page"),
    path("me/plugins/", views.my_plugins, name="my-plugins"),
    path("me/plugins/<str:name>/preferences/", views.preference_action, name="my-plugin-prefs"),
    path("me/plugins/<str:name>/uninstall/", views.uninstall_action, name="my-plugin-uninstall"),
    path("me/plugins/<str:name>/config/", views.config_page, name="my-plugin-config"),
]
