"""The model from the seed blog post ("Custom Model torch.jit.script Debugging", 2022).

Kept as the post wrote it, including the `== True` comparison in forward, because the
walk through torch's code that the harness records depends on exactly these modules.
"""
import torch
import torch.nn as nn


class CustomLayer(nn.Module):
    def __init__(self, first_dimension, second_dimension, third_dimension):
        super(CustomLayer, self).__init__()
        self.first_dimension, self.second_dimension, self.third_dimension = (
            first_dimension,
            second_dimension,
            third_dimension,
        )
        weights = torch.randn(first_dimension, second_dimension, third_dimension)
        self.weights = nn.Parameter(weights)
        bias = torch.randn(first_dimension, second_dimension, third_dimension)
        self.bias = nn.Parameter(bias)

    def forward(self, x):
        return self.weights * x + self.bias


class CustomModel(nn.Module):
    def __init__(self, branch_testing):
        super(CustomModel, self).__init__()
        self.branch_testing = branch_testing
        self.layer1 = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=(3, 3), stride=1, padding=1),
            nn.SiLU(inplace=True),
        )
        self.layer2 = nn.Sequential(
            nn.Conv2d(64, 32, kernel_size=(3, 3), stride=1, padding=1),
            nn.SiLU(inplace=True),
            nn.MaxPool2d(16),
        )
        self.custom_layer1 = CustomLayer(3, 256, 256)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(8192, 1024)
        self.condition_func1 = nn.Linear(1024, 10)
        self.condition_func2 = nn.Linear(1024, 50)

    def forward(self, x: torch.Tensor):
        if self.branch_testing == True:  # noqa: E712 - as in the seed
            x = self.custom_layer1(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.flatten(x)
        x = self.fc1(x)
        return x
