"""Reader against the mock's Public API (workspace, 5 sources src_001 ..)
and Profile API (space spa_mock: user_id:u-1 with 12 traits and 30 events,
"user_id:jane doe/\u00fc+1", group_id:g-1; tools/mock/mock.h)."""

import pytest

import segbridge

SPACE = "spa_mock"


@pytest.fixture
def reader(mock):
    with segbridge.Reader(
        public_api_token="pat-test",
        profile_api_token="prof-test",
        space_id=SPACE,
        settings={"public_api.endpoint": mock.url, "profile_api.endpoint": mock.url},
    ) as r:
        yield r


def test_workspace_and_sources(reader):
    assert reader.workspace()["id"] == "ws_mock"
    sources = reader.sources(page_size=2)  # three pages walked
    assert [s["id"] for s in sources] == [f"src_00{i}" for i in range(1, 6)]
    assert reader.sources() == sources
    assert reader.source("src_003")["id"] == "src_003"


def test_missing_sources_and_profiles(reader):
    with pytest.raises(segbridge.NotFoundError) as info:
        reader.source("src_999")
    assert info.value.code == "SEGB_ERR_NOT_FOUND"
    with pytest.raises(segbridge.NotFoundError):
        reader.traits("user_id:nobody")
    with pytest.raises(segbridge.APIError):
        reader.source("src_malformed")
    with pytest.raises(segbridge.Error) as info:
        reader.source("..")
    assert info.value.code == "SEGB_ERR_INVALID_ARG"


def test_profile(reader):
    traits = reader.traits("user_id:u-1")
    assert isinstance(traits, dict) and len(traits) == 12
    assert reader.traits("email:jane@example.com", {"limit": 5}) == traits  # pages of 5
    events = reader.events("user_id:u-1")
    assert len(events) == 30
    assert [e["message_id"] for e in events] == [f"msg-user_id:u-1-{i}" for i in range(30)]
    ids = reader.external_ids("anonymous_id:a-1")
    pairs = {(i["type"], i["id"]) for i in ids}
    assert pairs >= {("user_id", "u-1"), ("email", "jane@example.com")}
    assert reader.metadata("user_id:u-1")["last_source_id"] == "src_001"
    assert reader.traits("group_id:g-1")


def test_identifiers_are_escaped(reader):
    assert reader.traits("user_id:jane doe/\u00fc+1") == reader.traits(
        "phone_number:+15555550123"
    )


def test_bad_parameters(reader):
    with pytest.raises(segbridge.Error) as info:
        reader.traits("user_id:u-1", {"no_such_param": "1"})
    assert info.value.code == "SEGB_ERR_INVALID_ARG"
    with pytest.raises(TypeError):
        reader.traits("user_id:u-1", ["limit", "5"])
    with pytest.raises(TypeError):
        reader.traits(42)
    with pytest.raises(ValueError):
        reader.sources(page_size=10**12)
    with pytest.raises(segbridge.Error) as info:
        reader.sources(page_size=1001)
    assert info.value.code == "SEGB_ERR_INVALID_ARG"
    with pytest.raises(segbridge.ConfigError):
        reader.traits("user_id:\udc80")


def test_wrong_space(mock):
    with segbridge.Reader(
        profile_api_token="prof-test",
        space_id="spa_other",
        settings={"profile_api.endpoint": mock.url},
    ) as r:
        with pytest.raises(segbridge.NotFoundError):
            r.traits("user_id:u-1")


def test_construction_and_close(mock):
    with pytest.raises(segbridge.ConfigError):
        segbridge.Reader(settings={"public_api.endpoint": mock.url})  # no token
    r = segbridge.Reader(public_api_token="pat", settings={"public_api.endpoint": mock.url})
    r.close()
    r.close()
    with pytest.raises(segbridge.ClosedError):
        r.workspace()
