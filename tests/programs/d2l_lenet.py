# d2l's LeNet: sigmoid activations and average pooling, SGD, with Xavier initialisation.
import torch
from torch import nn

SHAPE = (8, 1, 28, 28)
CLASSES = 10

net = None


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


def make_model():
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    model.apply(init_weights)
    return model


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.9), None


def train_step(net, optimizer, X, y):
    loss = nn.CrossEntropyLoss()
    optimizer.zero_grad()
    y_hat = net(X)
    l = loss(y_hat, y)
    l.backward()
    optimizer.step()
    return l
