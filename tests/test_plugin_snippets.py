"""The recording proxy and the reproduction snippets shown for failures."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import List

import pytest
from plugin_helpers import STORES_MODULE, KitRunner, kit  # noqa: F401  (kit is a fixture)
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

from conformance.recorder import MAX_CALLS, CallRecorder, RecordingStore
from conformance.snippets import render_snippet, render_value
from conformance.targets import StoreTarget
from conformance.tokens import make_token

SECTION = "store calls to reproduce"


@pytest.fixture(scope="module")
def kitstores() -> types.ModuleType:
    module = types.ModuleType("kitstores")
    exec(compile(STORES_MODULE, "kitstores.py", "exec"), module.__dict__)
    return module


def memory_target(kitstores: types.ModuleType) -> StoreTarget:
    return StoreTarget(name="kitstores:MemoryStore", source="option", factory=kitstores.MemoryStore)


def snippet_of(result: pytest.RunResult) -> str:
    """Return the first reproduction snippet in a run's output."""
    lines = result.stdout.lines
    start = next(index for index, line in enumerate(lines) if SECTION in line) + 1
    end = next(
        index
        for index in range(start, len(lines))
        if lines[index].startswith(("___", "===", "---"))
    )
    return "\n".join(lines[start:end])


def run_snippet(snippet: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", snippet], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_proxy_is_token_store(kitstores: types.ModuleType) -> None:
    wrapped = kitstores.MemoryStore()
    proxy = RecordingStore(wrapped, CallRecorder(), store_number=1)

    assert isinstance(proxy, TokenStore)
    assert proxy.__wrapped__ is wrapped
    assert repr(proxy) == repr(wrapped)


def test_proxy_delegates_attributes(kitstores: types.ModuleType) -> None:
    wrapped = kitstores.MemoryStore()
    proxy = RecordingStore(wrapped, CallRecorder(), store_number=1)

    proxy.custom_flag = "set through the proxy"

    assert wrapped.custom_flag == "set through the proxy"
    assert proxy._next_id == 1
    with pytest.raises(AttributeError):
        proxy.no_such_attribute


def test_proxy_records_calls_and_results(kitstores: types.ModuleType) -> None:
    recorder = CallRecorder()
    proxy = RecordingStore(kitstores.MemoryStore(), recorder, store_number=1)
    token = make_token(user_name="alice", client_id="c", client_secret="s", refresh_token="r")

    proxy.save_token(token)
    found = proxy.find_token_by_id("1")
    calls = recorder.snapshot().calls

    assert [call.method for call in calls] == ["save_token", "find_token_by_id"]
    assert calls[0].fields_before[0]["id"] is None
    assert calls[0].fields_after[0]["id"] == "1"
    assert calls[1].returned is found
    assert calls[1].returned_fields["user_name"] == "alice"


def test_proxy_records_raised_error(kitstores: types.ModuleType) -> None:
    recorder = CallRecorder()
    proxy = RecordingStore(kitstores.RaisingIdStore(), recorder, store_number=1)

    with pytest.raises(Exception, match="no record with that id"):
        proxy.find_token_by_id("404")
    call = recorder.snapshot().calls[0]

    assert call.error_type == "SDKException"
    assert "no record with that id" in call.error_message


def test_recorder_keeps_last_calls(kitstores: types.ModuleType) -> None:
    recorder = CallRecorder()
    proxy = RecordingStore(kitstores.MemoryStore(), recorder, store_number=1)

    for _ in range(MAX_CALLS + 15):
        proxy.get_tokens()
    recording = recorder.snapshot()

    assert len(recording.calls) == MAX_CALLS
    assert recording.dropped_calls == 15
    assert "# NOTE: the first 15 calls are left out" in render_snippet(recording, None)


def test_snippet_shows_changes_between_calls(kitstores: types.ModuleType) -> None:
    recorder = CallRecorder()
    recorder.store_opened(store_number=1, location_number=1)
    proxy = RecordingStore(kitstores.MemoryStore(), recorder, store_number=1)
    token = make_token(user_name="alice", client_id="c", client_secret="s", refresh_token="r")

    proxy.save_token(token)
    token.set_access_token("new-access")
    proxy.save_token(token)
    lines = render_snippet(recorder.snapshot(), memory_target(kitstores)).splitlines()

    assert "from kitstores import MemoryStore" in lines
    assert "store = MemoryStore()" in lines
    assert (
        "t1 = make_token(user_name='alice', client_id='c', client_secret='s', refresh_token='r')"
        in lines
    )
    assert "store.save_token(t1)  # returned None; t1.get_id() -> '1'" in lines
    assert "t1.set_access_token('new-access')" in lines
    assert lines[-3:] == [
        "result = store.save_token(t1)  # returned None",
        'print("returned:", describe_result(result))',
        'print("t1:", describe_result(t1))',
    ]
    assert lines.index("t1.set_access_token('new-access')") > lines.index(
        "store.save_token(t1)  # returned None; t1.get_id() -> '1'"
    )


def test_snippet_names_returned_token_reused(kitstores: types.ModuleType) -> None:
    recorder = CallRecorder()
    proxy = RecordingStore(kitstores.MemoryStore(), recorder, store_number=1)
    token = make_token(user_name="bob", client_id="c", client_secret="s", refresh_token="r")
    proxy.save_token(token)

    loaded = proxy.find_token_by_id("1")
    loaded.set_refresh_token("r2")
    proxy.save_token(loaded)
    lines = render_snippet(recorder.snapshot(), memory_target(kitstores)).splitlines()

    loaded_line = "t2 = store.find_token_by_id('1')  # returned make_token("
    assert any(line.startswith(loaded_line) for line in lines)
    assert "t2.set_refresh_token('r2')" in lines
    assert "result = store.save_token(t2)  # returned None" in lines


def test_snippet_suppresses_expected_errors(kitstores: types.ModuleType) -> None:
    recorder = CallRecorder()
    proxy = RecordingStore(kitstores.RaisingIdStore(), recorder, store_number=1)

    with pytest.raises(Exception):
        proxy.find_token_by_id("404")
    proxy.get_tokens()
    snippet = render_snippet(recorder.snapshot(), memory_target(kitstores))

    assert "from contextlib import suppress" in snippet
    assert "with suppress(Exception):  # raised SDKException: " in snippet
    assert "    store.find_token_by_id('404')" in snippet


def test_long_periodic_value_shortened() -> None:
    assert render_value("ab" * 2048) == "'ab' * 2048"
    assert render_value("x" * 4096) == "'x' * 4096"
    assert render_value("short") == "'short'"
    assert render_value("abc" * 40 + "d") == repr("abc" * 40 + "d")


def test_failure_shows_snippet_that_reproduces(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:LeakyStore")
    snippet = snippet_of(result)
    lines = snippet.splitlines()

    assert "from kitstores import LeakyStore" in lines
    assert "store = LeakyStore()" in lines
    assert "t2 = make_token(user_name='bob')" in lines
    assert "result = store.find_token(t2)  # returned t2; t2.get_id() -> '1'; " in snippet

    # Pasted into a Python process, the snippet shows the leaked record again.
    completed = run_snippet(snippet, kit.pytester.path)
    assert completed.returncode == 0, completed.stderr
    assert "returned: make_token(id='1', user_name='bob', client_id='c'" in completed.stdout


def test_passing_test_has_no_snippet(kit: KitRunner) -> None:
    result = kit.certify("--store=kitstores:MemoryStore", "-rA")

    assert SECTION not in result.stdout.str()


def test_hypothesis_failure_shows_last_example(kit: KitRunner) -> None:
    kit.write_stores(
        STORES_MODULE
        + textwrap.dedent(
            '''
            class QuoteStore(MemoryStore):
                """Fails to save a user name with an apostrophe, as string-built SQL would."""

                def save_token(self, token):
                    if "'" in (read_field(token, "user_name") or ""):
                        raise ValueError("syntax error near quote")
                    super().save_token(token)
            '''
        )
    )
    kit.write_tests(
        """
        import pytest
        from hypothesis import HealthCheck, given, settings, strategies as st

        from conformance.tokens import make_token

        names = st.lists(st.sampled_from(["a", "b", "'"]), min_size=1, max_size=6).map("".join)


        @pytest.mark.rule("R1")
        @settings(suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
        @given(name=names)
        def test_user_names_round_trip(stores, name):
            store = stores.open_new()
            store.save_token(make_token(user_name="x", client_id="c", client_secret="s",
                                        refresh_token="r"))
            store.save_token(make_token(user_name=name, client_id="c", client_secret="s",
                                        refresh_token="r"))
        """,
        name="test_hypothesis_store",
    )

    result = kit.certify("--store=kitstores:QuoteStore", tests="test_hypothesis_store.py")
    snippet = snippet_of(result)
    calls: List[str] = [line for line in snippet.splitlines() if "store.save_token(" in line]

    result.assert_outcomes(failed=1)
    assert "calls of earlier Hypothesis examples are left out" in snippet
    shrunk = "t2 = make_token(user_name=\"'\", client_id='c', client_secret='s', refresh_token='r')"
    assert shrunk in snippet
    assert len(calls) == 2
    assert calls[-1] == "store.save_token(t2)  # raised ValueError: syntax error near quote"

    completed = run_snippet(snippet, kit.pytester.path)
    assert completed.returncode != 0
    assert "ValueError: syntax error near quote" in completed.stderr
