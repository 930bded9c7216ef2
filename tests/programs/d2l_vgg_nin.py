# d2l's VGG blocks followed by NiN blocks and global average pooling (small widths), Adam.
import torch
from torch import nn

SHAPE = (4, 1, 32, 32)
CLASSES = 10


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def make_model():
    return nn.Sequential(
        vgg_block(1, 1, 8), vgg_block(2, 8, 16),
        nin_block(16, 16, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nin_block(16, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())


def make_optimizer(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3), None


def train_step(net, optimizer, X, y):
    optimizer.zero_grad()
    l = nn.functional.cross_entropy(net(X), y)
    l.backward()
    optimizer.step()
    return l
