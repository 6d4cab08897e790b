"""A rollout does not take the bootstrap off its hot path (issue 15: the bootstrap's req/s
while a rollout is active within 10 % of without; bench/bootstrap_rollout.sh measures it):
the candidate is chosen per person when the entry is built, so once built the entry is sent
without Django like any other, with the version the person's bucket gives."""

import pytest

from installs.bootstrap_fastpath import BootstrapFastPath
from installs.versions import canary_bucket
from registry.models import PluginDeployment
from registry.rollouts import MAX_INTERVAL_SECONDS, abort_rollout, start_rollout
from tests.factories import make_user
from tests.installs.helpers import install, publish_plugin
from tests.wsgi import call

pytestmark = pytest.mark.django_db

BOOTSTRAP = "/api/v1/plugins/installed"


@pytest.fixture(autouse=True)
def both_caches(cache_backend):
    return cache_backend


def ask(layer, client):
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    answer = call(layer, BOOTSTRAP, HTTP_COOKIE=cookie)
    assert answer.status_code == 200, answer.body
    return {item["name"]: item["manifest"]["version"] for item in answer.json()["data"]["plugins"]}


def test_a_bootstrap_with_a_rollout_active_is_sent_without_django(django_app, api, person, wallet):
    layer = BootstrapFastPath(django_app)
    owner = wallet.publisher.memberships.get(role="owner").user
    publish_plugin("my-wallet", "1.1.0", actor=owner, publisher=wallet.publisher, deploy=False)
    install(api)
    deployment = PluginDeployment.objects.get(package=wallet)
    stable = deployment.version.version
    candidate = next(v.version for v in wallet.versions.all() if v.version != stable)
    start_rollout(
        actor=make_user("rollout-staff", staff=True),
        package=wallet,
        version=candidate,
        initial_percent=50,
        increment_percent=10,
        interval_seconds=MAX_INTERVAL_SECONDS,
    )
    expected = candidate if canary_bucket(user_id=person.pk, name="my-wallet") < 50 else stable

    answers = [ask(layer, api) for _ in range(2)]  # built (twice at most) and kept
    built = len(django_app.calls)
    answers += [ask(layer, api) for _ in range(3)]
    assert len(django_app.calls) == built <= 2
    assert all(answer == {"my-wallet": expected} for answer in answers)

    # Ending it changes the entry once; every person is back on the stable version.
    abort_rollout(actor=make_user("abort-staff", staff=True), package=wallet, reason="test")
    assert ask(layer, api) == {"my-wallet": stable}
