"""The seed's model, built on a device of the test's choosing
(tests/integration/test_devices.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scenarios", "models"))

from seed_model import CustomModel  # noqa: E402


def seed_on(device):
    return CustomModel(True).to(device)
