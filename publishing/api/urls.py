"""Write routes under /api/v1/."""

from django.urls import path

from publishing.api import deploy_views, views

urlpatterns = [
    path("plugins/publish", views.PublishView.as_view(), name="publish"),
    path(
        "plugins/<str:name>/versions/<str:version>/deprecate",
        views.DeprecateView.as_view(),
        name="version-deprecate",
    ),
    path(
        "plugins/<str:name>/versions/<str:version>/yank",
        views.YankView.as_view(),
        name="version-yank",
    ),
    path("plugins/<str:name>/rollback", views.RollbackView.as_view(), name="rollback"),
    path("plugins/<str:name>/deploy", deploy_views.DeployView.as_view(), name="deploy"),
    path(
        "plugins/<str:name>/deployments/<str:deployment_id>/events",
        deploy_views.DeploymentEventsView.as_view(),
        name="deployment-events",
    ),
    path(
        "plugins/<str:name>/deployment/status",
        deploy_views.DeploymentStatusView.as_view(),
        name="deployment-status",
    ),
    path(
        "plugins/<str:name>/deployment/rollback",
        deploy_views.DeploymentRollbackView.as_view(),
        name="deployment-rollback",
    ),
    path("publishers", views.PublisherCreateView.as_view(), name="publisher-create"),
    path("tokens", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:token_id>", views.TokenRevokeView.as_view(), name="token-revoke"),
]
