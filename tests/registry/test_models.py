import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from installs.models import PluginStorageEntry, TenantPluginInstall, UserPluginPreference
from registry.models import PluginDeployment, PluginPackage, PluginVersion
from tests.factories import make_package, make_team, make_user, make_version

pytestmark = pytest.mark.django_db


def test_a_duplicate_version_of_one_package_is_refused_by_the_database():
    package = make_package("my-wallet")
    make_version(package, "1.0.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(package, "1.0.0")
    assert PluginVersion.objects.filter(package=package).count() == 1


def test_versions_differing_only_in_build_metadata_are_refused():
    package = make_package("my-wallet")
    make_version(package, "1.0.0+build.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(package, "1.0.0+build.2")


def test_the_same_version_in_two_packages_is_fine():
    make_version(make_package("first-plugin"), "1.0.0")
    make_version(make_package("second-plugin"), "1.0.0")
    assert PluginVersion.objects.count() == 2


def test_version_ordering_columns_follow_semver_precedence():
    package = make_package("my-wallet")
    for text in ["1.10.0", "1.9.0", "1.10.0-rc.1", "0.1.0", "2.0.0-alpha"]:
        make_version(package, text)
    newest_first = list(package.versions.order_by("-sort_key").values_list("version", flat=True))
    assert newest_first == ["2.0.0-alpha", "1.10.0", "1.10.0-rc.1", "1.9.0", "0.1.0"]
    rc = package.versions.get(version="1.10.0-rc.1")
    assert (rc.major, rc.minor, rc.patch, rc.prerelease, rc.is_prerelease) == (
        1,
        10,
        0,
        "rc.1",
        True,
    )


def test_an_install_with_both_user_and_team_is_refused_by_the_database():
    user = make_user()
    team = make_team(admin=user)
    package = make_package()
    with pytest.raises(IntegrityError), transaction.atomic():
        TenantPluginInstall.objects.create(package=package, user=user, team=team)
    assert not TenantPluginInstall.objects.exists()


def test_an_install_with_neither_user_nor_team_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        TenantPluginInstall.objects.create(package=make_package())


def test_one_install_per_user_and_per_team():
    user = make_user()
    team = make_team(admin=user)
    package = make_package()
    TenantPluginInstall.objects.create(package=package, user=user)
    TenantPluginInstall.objects.create(package=package, team=team)
    with pytest.raises(IntegrityError), transaction.atomic():
        TenantPluginInstall.objects.create(package=package, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        TenantPluginInstall.objects.create(package=package, team=team)
    assert TenantPluginInstall.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("MyWallet", "lowercase"),
        ("1wallet", "start with a letter"),
        ("my..wallet", "dots or slashes"),
        ("my/wallet", "dots or slashes"),
        ("admin", "reserved"),
        ("a" * 65, "at most 64"),
        ("wallet-", "end with a letter or digit"),
        ("my_wallet", "only a-z"),
        ("ab", "at least 3"),
    ],
)
def test_an_invalid_package_name_is_refused_by_model_validation(name, reason):
    package = PluginPackage(name=name, display_name="X", publisher=make_package().publisher)
    with pytest.raises(ValidationError) as caught:
        package.full_clean()
    assert reason in " ".join(caught.value.message_dict["name"])


def test_a_package_name_is_unique():
    make_package("my-wallet")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_package("my-wallet")


def test_an_invalid_version_string_is_refused_before_it_reaches_the_database():
    with pytest.raises(ValueError, match="not a Semantic Version"):
        make_version(make_package(), "v1.0")


def test_canary_percent_over_100_is_refused_by_the_database():
    package = make_package()
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginDeployment.objects.create(package=package, canary_percent=101)


def test_an_unknown_package_status_is_refused_by_the_database():
    package = make_package()
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginPackage.objects.filter(pk=package.pk).update(status="bogus")


def test_preference_and_storage_keys_are_unique():
    user = make_user()
    package = make_package()
    UserPluginPreference.objects.create(user=user, package=package)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPluginPreference.objects.create(user=user, package=package)
    PluginStorageEntry.objects.create(user=user, package=package, key="k", value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginStorageEntry.objects.create(user=user, package=package, key="k", value=2)


def test_every_model_has_a_readable_str():
    user = make_user("alice")
    team = make_team("ops-team", admin=user)
    package = make_package("my-wallet")
    version = make_version(package, "1.2.0")
    install = TenantPluginInstall.objects.create(package=package, team=team)
    assert str(version) == "my-wallet@1.2.0"
    assert str(install) == "my-wallet for team ops-team"
    assert package.global_name == "NaapPluginMyWallet"
