"""Who may act for a publisher: staff and its members; nobody else, and never anonymously."""

import pytest
from django.contrib.auth.models import AnonymousUser

from registry.membership import may_act_for_publisher
from registry.models import PublisherMembership
from tests.factories import make_publisher, make_user

pytestmark = pytest.mark.django_db


def test_staff_may_act_for_any_publisher():
    assert may_act_for_publisher(make_user(staff=True), make_publisher())


def test_the_owner_may_act_for_the_publisher():
    owner = make_user()
    assert may_act_for_publisher(owner, make_publisher(owner=owner))


def test_a_maintainer_may_act_for_the_publisher():
    maintainer = make_user()
    publisher = make_publisher()
    publisher.memberships.create(user=maintainer, role=PublisherMembership.Role.MAINTAINER)
    assert may_act_for_publisher(maintainer, publisher)


def test_a_member_of_another_publisher_may_not():
    outsider = make_user()
    make_publisher(owner=outsider)
    assert not may_act_for_publisher(outsider, make_publisher(owner=make_user()))


def test_anonymous_visitors_may_not():
    publisher = make_publisher(owner=make_user())
    assert not may_act_for_publisher(AnonymousUser(), publisher)
    assert not may_act_for_publisher(None, publisher)
