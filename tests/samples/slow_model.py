"""A model whose construction waits, so a test can interrupt a run in the middle."""
import time

import torch


class Slow(torch.nn.Module):
    def __init__(self, marker):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
        open(marker, "w").close()  # tell the test the run is under way
        time.sleep(60)

    def forward(self, x):
        return self.fc(x)
