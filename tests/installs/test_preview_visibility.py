"""A preview package leaks through no read path: every page and API route, walked as each
kind of person (registry.visibility, installs.testers)."""

from __future__ import annotations

import pytest
from django.test import Client

from installs.services import install_plugin
from installs.testers import set_preview_testers
from registry.models import DeploymentEvent, PluginPackage
from tests.factories import make_team, make_user
from tests.installs.helpers import publish_plugin

pytestmark = pytest.mark.django_db

SECRET = "secret-tool"
VIEWERS = ["anonymous", "stranger", "stranger_who_installed", "tester", "team_tester", "member"]
VIEWERS += ["staff"]
SEES = {"tester", "team_tester", "member", "staff"}


class Catalog:
    """A public plugin and a preview one, and a signed-in client per kind of person."""

    def __init__(self):
        self.owner = make_user("owner")
        published = publish_plugin(SECRET, "1.0.0", actor=self.owner)
        self.publisher = published.package.publisher
        publish_plugin("public-tool", "1.0.0", actor=self.owner, publisher=self.publisher)
        self.people = {
            "stranger": make_user("stranger"),
            "stranger_who_installed": make_user("early-bird"),
            "tester": make_user("tess"),
            "team_tester": make_user("teddy"),
            "member": self.owner,
            "staff": make_user("staffer", staff=True),
        }
        # Installed while it was public: hidden from them once it is a preview.
        install_plugin(actor=self.people["stranger_who_installed"], name=SECRET)
        self.team = make_team("testers", members=[self.people["team_tester"]])
        set_preview_testers(
            actor=self.owner, name=SECRET, preview=True, users=["tess"], teams=["testers"]
        )
        first_deploy = DeploymentEvent.objects.get(deployment__package__name=SECRET)
        self.deployment_id = f"deploy-{first_deploy.pk}"

    def path(self, path: str) -> str:
        """The route with the preview's first deployment's id where it names DEPLOYMENT."""
        return path.replace("DEPLOYMENT", self.deployment_id)

    def client(self, viewer: str) -> Client:
        client = Client()
        if viewer != "anonymous":
            client.force_login(self.people[viewer])
        return client


@pytest.fixture
def catalog() -> Catalog:
    return Catalog()


def shown(response) -> bool:
    """Whether an answer that exists for everybody shows the preview package: a link to it on
    a page (the search box repeats what was asked), its name as a JSON value or key."""
    assert response.status_code == 200, response.content[:300]
    if response["Content-Type"].startswith("text/html"):
        return f"/plugins/{SECRET}/".encode() in response.content
    return f'"{SECRET}'.encode() in response.content


# Routes that answer for the package itself: 404 (as for a missing name) unless one may see it.
NAMED_ROUTES = [
    f"/plugins/{SECRET}/",
    f"/api/v1/plugins/registry/{SECRET}",
    f"/api/v1/plugins/registry/{SECRET}/latest/manifest",
    f"/api/v1/plugins/registry/{SECRET}/1.0.0/manifest",
    f"/api/v1/plugins/{SECRET}/deployment",
    f"/plugins/{SECRET}/1.0.0/preview/",
    f"/sandbox/preview/{SECRET}/1.0.0/",
    f"/api/v1/plugins/{SECRET}/deployment/status",
    f"/api/v1/plugins/{SECRET}/deployments/DEPLOYMENT/events",
]
# Of those, the ones only its publisher's members and staff read (testers: 403), signed-in
# people only (anonymous: 401, whatever the name).
MEMBERS_ONLY = set(NAMED_ROUTES[-2:])


def refused_status(viewer: str, path: str) -> int:
    return 401 if viewer == "anonymous" and path in MEMBERS_ONLY else 404


# Listings: a preview is unlisted, so nobody finds it there, testers and members included.
LISTINGS = [
    "/",
    f"/?search={SECRET}",
    "/?category=finance",
    "/api/v1/plugins/registry",
    f"/api/v1/plugins/registry?search={SECRET}",
    f"/api/v1/registry/packages?search={SECRET}",
    "/api/v1/registry/packages",
    f"/shell-globals?plugin={SECRET}@1.0.0",
]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("path", NAMED_ROUTES)
def test_routes_naming_a_preview_answer_only_those_who_may_see_it(catalog, viewer, path):
    response = catalog.client(viewer).get(catalog.path(path))
    if viewer in SEES:
        testing_only = viewer in {"tester", "team_tester"} and path in MEMBERS_ONLY
        assert response.status_code == (403 if testing_only else 200), response.content[:300]
    else:
        assert response.status_code == refused_status(viewer, path)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_hidden_preview_looks_exactly_like_a_missing_name(catalog, viewer):
    """The 404 says nothing a missing name's would not (same status, same message shape)."""
    if viewer in SEES:
        return
    client = catalog.client(viewer)
    for path in NAMED_ROUTES:
        hidden = client.get(catalog.path(path))
        missing = client.get(catalog.path(path).replace(SECRET, "nothing-here"))
        assert hidden.status_code == missing.status_code == refused_status(viewer, path), path
        assert hidden.content.replace(SECRET.encode(), b"X") == missing.content.replace(
            b"nothing-here", b"X"
        ), path


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("path", LISTINGS)
def test_no_listing_shows_a_preview_to_anybody(catalog, viewer, path):
    response = catalog.client(viewer).get(path)
    assert not shown(response)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_publisher_page_does_not_list_a_preview(catalog, viewer):
    response = catalog.client(viewer).get(f"/publishers/{catalog.publisher.name}/")
    assert b"public-tool" in response.content
    assert not shown(response)


def test_a_preview_manifest_is_never_kept_by_a_shared_cache(catalog):
    response = catalog.client("tester").get(f"/api/v1/plugins/registry/{SECRET}/latest/manifest")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response["Vary"]
    public = catalog.client("tester").get("/api/v1/plugins/registry/public-tool/latest/manifest")
    assert public["Cache-Control"] == "public, max-age=300"


BOOTSTRAPS = ["/api/v1/plugins/installed", "/api/v1/base/plugins/personalized"]


def plugin_names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [plugin["name"] for plugin in response.json()["data"]["plugins"]]


@pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "anonymous"])
@pytest.mark.parametrize("path", BOOTSTRAPS)
def test_testers_boot_with_a_preview_installed_and_nobody_else_gets_it(catalog, viewer, path):
    names = plugin_names(catalog.client(viewer).get(path))
    # Testers have it as if installed (upstream NaaP installs it on their first boot); a
    # member or staff has it only where they installed it, as any plugin.
    assert (SECRET in names) == (viewer in {"tester", "team_tester"})


def test_the_personalized_answer_says_a_tested_preview_is_installed(catalog):
    plugins = catalog.client("tester").get(BOOTSTRAPS[1]).json()["data"]["plugins"]
    (entry,) = [plugin for plugin in plugins if plugin["name"] == SECRET]
    assert entry["installed"] is True
    assert entry["isCore"] is False


@pytest.mark.parametrize("viewer", ["stranger", "tester", "team_tester", "member", "staff"])
def test_only_those_who_may_see_a_preview_may_install_it(catalog, viewer):
    response = catalog.client(viewer).post(
        f"/api/v1/plugins/{SECRET}/install", {}, content_type="application/json"
    )
    assert response.status_code == (201 if viewer in SEES else 404)
    if viewer not in SEES:
        assert response.json()["error"]["message"] == f"No plugin named '{SECRET}'."


def test_the_install_page_of_a_preview_is_404_for_a_stranger(catalog):
    response = catalog.client("stranger").post(f"/plugins/{SECRET}/install/", {})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/plugins/{SECRET}/config"),
        ("put", f"/api/v1/plugins/{SECRET}/preferences"),
        ("get", f"/api/v1/plugins/{SECRET}/storage"),
    ],
)
def test_an_installation_made_before_it_became_a_preview_opens_nothing(catalog, method, path):
    client = catalog.client("stranger_who_installed")
    response = getattr(client, method)(path, {"enabled": False}, content_type="application/json")
    assert response.status_code in {403, 404}, response.content
    tester = getattr(catalog.client("tester"), method)(
        path, {"enabled": False}, content_type="application/json"
    )
    assert tester.status_code == 200, tester.content


def test_my_plugins_page_hides_it_from_others_and_shows_it_to_testers(catalog):
    assert (
        SECRET.encode() not in catalog.client("stranger_who_installed").get("/me/plugins/").content
    )
    assert SECRET.encode() in catalog.client("tester").get("/me/plugins/").content


def test_a_stranger_who_installed_it_may_still_uninstall_it(catalog):
    client = catalog.client("stranger_who_installed")
    response = client.delete(f"/api/v1/plugins/{SECRET}/uninstall", content_type="application/json")
    assert response.status_code == 200
    again = client.delete(f"/api/v1/plugins/{SECRET}/uninstall", content_type="application/json")
    assert again.status_code == 404
    assert again.json()["error"]["message"] == f"No plugin named '{SECRET}'."


def test_made_public_again_it_is_everybodys_and_testers_keep_only_what_they_installed(catalog):
    set_preview_testers(actor=catalog.owner, name=SECRET, preview=False, users=[], teams=[])
    assert catalog.client("anonymous").get(f"/plugins/{SECRET}/").status_code == 200
    assert shown(catalog.client("anonymous").get(f"/api/v1/plugins/registry?search={SECRET}"))
    assert SECRET in plugin_names(catalog.client("stranger_who_installed").get(BOOTSTRAPS[0]))
    assert SECRET not in plugin_names(catalog.client("tester").get(BOOTSTRAPS[0]))


def test_a_core_preview_is_not_installed_for_everyone(catalog):
    PluginPackage.objects.filter(name=SECRET).update(is_core=True)
    assert SECRET not in plugin_names(catalog.client("stranger").get(BOOTSTRAPS[0]))
    assert SECRET in plugin_names(catalog.client("tester").get(BOOTSTRAPS[0]))


def test_the_manifest_hot_path_stops_serving_a_package_once_it_is_a_preview(
    django_app, cache_backend
):
    from registry.manifest_fastpath import ManifestFastPath
    from tests.wsgi import call

    owner = make_user("owner")
    publish_plugin("my-wallet", "1.0.0", actor=owner)
    layer = ManifestFastPath(django_app, flush_interval=3600, recheck=0)
    path = "/api/v1/plugins/registry/my-wallet/latest/manifest"
    assert call(layer, path).status_code == call(layer, path).status_code == 200
    assert len(django_app.calls) == 1  # kept
    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=[], teams=[])
    assert call(layer, path).status_code == 404
    assert call(layer, path).status_code == 404
    assert len(django_app.calls) == 3  # never kept again


def test_the_bootstrap_hot_path_follows_the_testers(django_app, cache_backend):
    from installs.bootstrap_fastpath import BootstrapFastPath
    from tests.wsgi import call

    owner = make_user("owner")
    publish_plugin("my-wallet", "1.0.0", actor=owner)
    tess = make_user("tess")
    client = Client()
    client.force_login(tess)
    install_plugin(actor=tess, name="my-wallet")
    make_team("testers", members=[tess])
    layer = BootstrapFastPath(django_app)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    def names() -> list[str]:
        answer = call(layer, BOOTSTRAPS[0], HTTP_COOKIE=cookie)
        return [plugin["name"] for plugin in answer.json()["data"]["plugins"]]

    assert names() == names() == ["my-wallet"]
    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=[], teams=[])
    assert names() == []
    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=["tess"], teams=[])
    assert names() == ["my-wallet"]
    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=[], teams=[])
    assert names() == []
    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=[], teams=["testers"])
    assert names() == ["my-wallet"]


def test_the_testers_page_sets_the_preview_for_members_only(catalog):
    page = f"/plugins/{SECRET}/testers/"
    member = catalog.client("member")
    response = member.get(page)
    assert response.status_code == 200
    assert b"tess" in response.content and b"testers" in response.content
    saved = member.post(page, {"preview": "on", "users": "tess, teddy", "teams": ""})
    assert saved.status_code == 302
    from installs.models import PreviewTester

    assert sorted(PreviewTester.objects.values_list("user__username", flat=True)) == [
        "teddy",
        "tess",
    ]
    refused = member.post(page, {"preview": "on", "users": "ghost"})
    assert refused.status_code == 400
    assert b"ghost" in refused.content
    assert catalog.client("tester").get(page).status_code == 403
    assert catalog.client("stranger").get(page).status_code == 404
    assert catalog.client("staff").get(page).status_code == 200
    assert catalog.client("anonymous").get(page).status_code == 302  # to sign in
    detail = member.get(f"/plugins/{SECRET}/").content
    assert page.encode() in detail and b"Preview: testers only" in detail


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/v1/plugins/{SECRET}/versions/1.0.0/yank", {"reason": "no"}),
        (f"/api/v1/plugins/{SECRET}/versions/1.0.0/deprecate", {"message": "no"}),
        (f"/api/v1/plugins/{SECRET}/rollback", {"version": "1.0.0"}),
    ],
)
def test_writes_by_other_publishers_find_no_preview(catalog, path, body):
    from tests.publishing.helpers import bearer, token_for

    _, _, _, secret = token_for()
    with_token = Client().post(path, body, content_type="application/json", **bearer(secret))
    as_stranger = catalog.client("stranger").post(path, body, content_type="application/json")
    for response in (with_token, as_stranger):
        assert response.status_code == 404, response.content
        assert response.json()["error"]["message"] == f"No plugin named '{SECRET}'."


# Routes a publisher's API token reads: it sees a preview as its publisher's members do, and
# never as the person who created it (their staff or tester standing stays with the session).
TOKEN_READS = [
    f"/api/v1/plugins/registry/{SECRET}",
    f"/api/v1/plugins/registry/{SECRET}/latest/manifest",
    f"/api/v1/plugins/registry/{SECRET}/1.0.0/manifest",
    f"/api/v1/plugins/{SECRET}/deployment",
    f"/api/v1/plugins/{SECRET}/reviews",
    f"/api/v1/registry/packages/{SECRET}/reviews",
    f"/api/v1/plugins/{SECRET}/deployment/status",
    f"/api/v1/plugins/{SECRET}/analytics",
]


def token_of(person, publisher_name: str, *, packages=None) -> dict:
    from tests.factories import make_publisher
    from tests.publishing.helpers import bearer, token_for

    publisher = make_publisher(publisher_name, owner=person)
    return bearer(token_for(publisher, scopes=("read",), user=person, packages=packages)[3])


@pytest.mark.parametrize("creator", ["staff", "tester", "member"])
def test_a_token_of_another_publisher_reads_no_preview_whoever_made_it(catalog, creator):
    # The member of the preview's publisher also runs another publisher: its token is that one's.
    headers = token_of(catalog.people[creator], f"{creator}-labs")
    for path in TOKEN_READS:
        hidden = Client().get(path, **headers)
        missing = Client().get(path.replace(SECRET, "nothing-here"), **headers)
        assert hidden.status_code == missing.status_code == 404, (path, hidden.content[:200])
        assert hidden.content.replace(SECRET.encode(), b"X") == missing.content.replace(
            b"nothing-here", b"X"
        ), path


def test_the_previews_own_publishers_token_reads_it(catalog):
    from tests.publishing.helpers import bearer, token_for

    headers = bearer(token_for(catalog.publisher, scopes=("read",), user=catalog.owner)[3])
    for path in TOKEN_READS:
        assert Client().get(path, **headers).status_code == 200, path


def test_a_token_limited_to_other_packages_reads_no_preview(catalog):
    from tests.publishing.helpers import bearer, token_for

    secret = token_for(
        catalog.publisher, scopes=("read",), user=catalog.owner, packages=["public-tool"]
    )[3]
    for path in TOKEN_READS[:6]:
        assert Client().get(path, **bearer(secret)).status_code == 404, path
        public = path.replace(SECRET, "public-tool")
        assert Client().get(public, **bearer(secret)).status_code == 200, public


def test_a_preview_approved_while_its_testers_bootstrap_is_cached_reaches_them():
    from publishing.services import approve_version
    from registry.models import PluginVersion

    owner = make_user("owner")
    pending = publish_plugin("late-tool", "1.0.0", actor=owner, verified=False).version
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    tester = Client()
    tester.force_login(make_user("tess"))
    set_preview_testers(actor=owner, name="late-tool", preview=True, users=["tess"], teams=[])
    # Booted (and cached) while the preview waits for review: not there yet.
    for path in BOOTSTRAPS:
        assert "late-tool" not in plugin_names(tester.get(path))
    approve_version(actor=make_user("moderator", staff=True), version=pending)
    for path in BOOTSTRAPS:
        assert "late-tool" in plugin_names(tester.get(path)), path


def test_joining_or_leaving_the_publisher_reaches_a_cached_bootstrap(catalog):
    """Members see the previews they installed: a membership added, moved to another person
    or removed (the admin's inline, its own page, a service) retires the cached bootstraps of
    those it concerns."""
    from registry.models import PublisherMembership

    early_bird = catalog.people["stranger_who_installed"]
    client = catalog.client("stranger_who_installed")
    for path in BOOTSTRAPS:
        assert SECRET not in plugin_names(client.get(path))
    membership = PublisherMembership.objects.create(
        publisher=catalog.publisher, user=early_bird, role="maintainer"
    )
    for path in BOOTSTRAPS:
        assert SECRET in plugin_names(client.get(path)), path
    membership.user = catalog.people["stranger"]  # an admin edit giving it to someone else
    membership.save()
    for path in BOOTSTRAPS:
        assert SECRET not in plugin_names(client.get(path)), path
    membership.user = early_bird
    membership.save()
    assert SECRET in plugin_names(client.get(BOOTSTRAPS[0]))
    membership.delete()
    for path in BOOTSTRAPS:
        assert SECRET not in plugin_names(client.get(path)), path
