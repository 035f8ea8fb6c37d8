import pytest

@pytest.mark.rule("G1")
def test_get_tokens_empty(store):
    assert store.get_tokens() == []
