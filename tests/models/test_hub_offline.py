"""An unreachable hub is detected once, so the hub client fails at once instead of retrying."""

from __future__ import annotations

import socket

import pytest

from astrobench.models import hub_offline


def test_unreachable_hub_turns_the_client_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    attempts = []

    def refuse(address, timeout=None):
        attempts.append(address)
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub_offline, "_reachable", {})
    monkeypatch.setattr(hub_offline.socket, "create_connection", refuse)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for _ in range(3):
        with hub_offline.offline_if_asked():
            assert constants.HF_HUB_OFFLINE is True
    assert constants.HF_HUB_OFFLINE is False  # restored after the block
    assert attempts == [("huggingface.co", 443)]  # probed once per process


def test_reachable_hub_leaves_the_client_online(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub_offline, "_reachable", {})
    monkeypatch.setattr(hub_offline.socket, "create_connection", lambda *a, **k: Connection())
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with hub_offline.offline_if_asked():
        assert constants.HF_HUB_OFFLINE is False
