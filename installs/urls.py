"""Install pages, and a preview's testers."""

from django.urls import path

from installs import tester_pages, views

urlpatterns = [
    path("plugins/<str:name>/install/", views.install_page, name="plugin-install-page"),
    path("plugins/<str:name>/testers/", tester_pages.testers_page, name="plugin-testers-page"),
    path("me/plugins/", views.my_plugins, name="my-plugins"),
    path("me/plugins/<str:name>/preferences/", views.preference_action, name="my-plugin-prefs"),
    path("me/plugins/<str:name>/uninstall/", views.uninstall_action, name="my-plugin-uninstall"),
    path("me/plugins/<str:name>/config/", views.config_page, name="my-plugin-config"),
]
