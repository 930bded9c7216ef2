# d2l's DenseNet: BN-ReLU-Conv blocks whose outputs are concatenated, transition layers, SGD as d2l's trainer.
import torch
from torch import nn

SHAPE = (4, 1, 24, 24)
CLASSES = 10


def conv_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels * i + input_channels, num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        DenseBlock(2, 8, 4), transition_block(16, 8),
        DenseBlock(2, 8, 4), nn.BatchNorm2d(16), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(16, 10))


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1), None


def train_step(net, optimizer, X, y):
    optimizer.zero_grad()
    l = nn.functional.cross_entropy(net(X), y, label_smoothing=0.1)
    l.backward()
    optimizer.step()
    return l
