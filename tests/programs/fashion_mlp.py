# The "Quickstart" tutorial: a Fashion-MNIST MLP with nn.Sequential, CrossEntropyLoss and SGD.
import torch
from torch import nn

SHAPE = (16, 1, 28, 28)
CLASSES = 10


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


loss_fn = nn.CrossEntropyLoss()


def make_model():
    return NeuralNetwork()


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=1e-3), None


def train_step(model, optimizer, X, y):
    model.train()
    pred = model(X)
    loss = loss_fn(pred, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss
