"""The pure parts of bench/mixed_load.py: which answers are errors, which writes count as
acknowledged, the lost-write check, the summaries' consistency check and who owns what."""

from types import SimpleNamespace

import pytest

from bench.mixed_load import (
    ABSENT,
    ACKED,
    BOOTSTRAP,
    EXPECTED_STATUSES,
    INSTALL,
    INSTALLED,
    MIX,
    PUBLISH,
    PUBLISHED,
    REFUSED,
    STORAGE,
    UNINSTALL,
    UNKNOWN,
    Attempt,
    check_writes,
    churn_owner,
    inconsistencies,
    is_error,
    lost_writes,
    percentile,
    stale_plugins,
    write_outcome,
)


def test_the_mix_adds_up_to_a_hundred_percent():
    assert sum(MIX.values()) == 100


@pytest.mark.parametrize("kind", sorted(EXPECTED_STATUSES))
@pytest.mark.parametrize("status", [None, 429, 500, 502, 503])
def test_connection_errors_rate_limits_and_server_errors_are_errors_for_every_kind(kind, status):
    assert is_error(kind, status)
    assert is_error(kind, status, state_known=False)


def test_each_kind_accepts_only_its_statuses():
    assert not is_error(BOOTSTRAP, 304)
    assert not is_error(STORAGE, 200) and not is_error(STORAGE, 201)
    assert is_error(STORAGE, 404)
    # Every publish is a new version: an idempotent 200 or a 409 means the workload is wrong.
    assert not is_error(PUBLISH, 201)
    assert is_error(PUBLISH, 200) and is_error(PUBLISH, 409)


def test_already_installed_and_not_installed_are_errors_only_when_the_state_was_known():
    assert is_error(INSTALL, 200) and is_error(UNINSTALL, 404)
    assert not is_error(INSTALL, 200, state_known=False)
    assert not is_error(UNINSTALL, 404, state_known=False)
    assert is_error(UNINSTALL, 409, state_known=False)


@pytest.mark.parametrize(
    ("kind", "status", "outcome"),
    [
        (STORAGE, 201, ACKED),
        (STORAGE, 200, ACKED),
        (STORAGE, 400, REFUSED),
        (STORAGE, None, UNKNOWN),
        (STORAGE, 500, UNKNOWN),
        (INSTALL, 200, ACKED),
        (UNINSTALL, 404, ACKED),
        (UNINSTALL, 403, REFUSED),
        (PUBLISH, 409, REFUSED),
        (PUBLISH, 502, UNKNOWN),
    ],
)
def test_write_outcomes(kind, status, outcome):
    assert write_outcome(kind, status) == outcome


KEY = ("person-1", "my-wallet", "c1-k0")


def test_the_last_acknowledged_value_must_be_stored():
    attempts = [Attempt(KEY, 1, ACKED), Attempt(KEY, 2, ACKED)]
    assert check_writes({}, attempts, {KEY: 2}) == []
    [lost] = check_writes({}, attempts, {KEY: 1})
    assert (lost.target, lost.allowed, lost.found) == (KEY, [2], 1)
    assert str(lost) == "person-1/my-wallet/c1-k0: found 1, expected [2]"
    [lost] = check_writes({}, attempts, {})
    assert lost.found == ABSENT


def test_a_write_with_an_unknown_outcome_may_or_may_not_have_replaced_the_value():
    attempts = [Attempt(KEY, 1, ACKED), Attempt(KEY, 2, UNKNOWN)]
    assert check_writes({}, attempts, {KEY: 1}) == []
    assert check_writes({}, attempts, {KEY: 2}) == []
    assert len(check_writes({}, attempts, {KEY: 3})) == 1
    # Before any acknowledged write, the key may still be absent.
    assert check_writes({}, [Attempt(KEY, 2, UNKNOWN)], {}) == []


def test_a_refused_write_must_have_changed_nothing():
    attempts = [Attempt(KEY, {"n": 1}, ACKED), Attempt(KEY, {"n": 2}, REFUSED)]
    assert check_writes({}, attempts, {KEY: {"n": 1}}) == []
    assert len(check_writes({}, attempts, {KEY: {"n": 2}})) == 1


def test_targets_nobody_wrote_keep_their_initial_value_and_nothing_appears_unasked():
    initial = {("person-1", "my-wallet"): INSTALLED}
    assert check_writes(initial, [], {("person-1", "my-wallet"): INSTALLED}) == []
    assert len(check_writes(initial, [], {})) == 1
    [phantom] = check_writes(initial, [], {**initial, ("person-2", "my-wallet"): INSTALLED})
    assert phantom.target == ("person-2", "my-wallet")


def test_the_last_acknowledged_install_or_uninstall_wins():
    pair = ("person-1", "my-wallet")
    attempts = [Attempt(pair, ABSENT, ACKED), Attempt(pair, INSTALLED, ACKED)]
    initial = {pair: INSTALLED}
    assert check_writes(initial, attempts, {pair: INSTALLED}) == []
    assert len(check_writes(initial, attempts[:1], {pair: INSTALLED})) == 1


def test_an_acknowledged_publish_needs_its_row_and_its_files():
    version = ("my-wallet", "2.1.0")
    attempts = [Attempt(version, PUBLISHED, ACKED)]
    assert check_writes({}, attempts, {version: PUBLISHED}) == []
    assert len(check_writes({}, attempts, {version: "bundle missing"})) == 1
    assert len(check_writes({}, attempts, {})) == 1


def test_lost_writes_reads_the_database_state_of_each_kind():
    data = {
        "stable": ["my-wallet"],
        "churn": ["my-notes"],
        "people": [{"username": "person-1", "installed": ["my-wallet"]}],
    }
    client = SimpleNamespace(
        attempts={
            STORAGE: [Attempt(KEY, {"n": 1}, ACKED)],
            INSTALL: [Attempt(("person-1", "my-notes"), INSTALLED, ACKED)],
            PUBLISH: [Attempt(("my-notes", "2.1.0"), PUBLISHED, ACKED)],
        }
    )
    state = {
        "storage": [[*KEY, {"n": 1}]],
        "installs": [["person-1", "my-wallet"], ["person-1", "my-notes"]],
        "versions": [
            ["my-wallet", "1.0.0", ""],
            ["my-notes", "1.0.0", ""],
            ["my-notes", "2.1.0", ""],
        ],
    }
    assert lost_writes(data, [client], state) == {STORAGE: [], INSTALL: [], PUBLISH: []}
    state["storage"] = [[*KEY, {"n": 0}]]
    state["installs"] = [["person-1", "my-wallet"]]
    state["versions"][2][2] = "bundle plugins/my-notes/2.1.0/bundle.0123abcd.js missing"
    lost = lost_writes(data, [client], state)
    assert [len(lost[kind]) for kind in (STORAGE, INSTALL, PUBLISH)] == [1, 1, 1]


def test_inconsistencies_name_counters_and_deployments_that_disagree_with_the_rows():
    state = {
        "counters": [["my-wallet", 3, 3, 3], ["my-notes", 2, 3, 3]],
        "deployments": [["my-wallet", "2.4.1", "2.4.1"], ["my-notes", "2.1.0", "2.3.0"]],
    }
    problems = inconsistencies(state)
    assert len(problems) == 2
    assert problems[0].startswith("my-notes: 3 installations but install_count 2")
    assert problems[1] == "my-notes: deployed 2.1.0, newest release 2.3.0"


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(100, 0, -1)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    assert percentile([], 0.5) == 0


def test_a_bootstrap_is_stale_when_it_disagrees_with_a_known_state():
    installed = {"a": True, "b": False, "c": None}
    assert stale_plugins(installed, {"a", "c"}) == []
    assert stale_plugins(installed, {"b"}) == ["a", "b"]


@pytest.mark.parametrize(("connections", "people"), [(64, 32), (16, 32), (64, 64), (5, 2)])
def test_each_installation_is_changed_by_one_client_acting_for_its_person(connections, people):
    for person in range(people):
        for plugin in range(10):
            owner = churn_owner(person, plugin, connections=connections, people=people)
            if person >= connections:
                assert owner is None
            else:
                assert 0 <= owner < connections and owner % people == person
