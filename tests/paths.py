"""Paths the tests share: the repository root, its test data and the peer-tools Python."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"
#: Python of the separate venv holding MintPy, vmdpy, pykrige and insar-rs (``make peers``)
PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
