# d2l's Inception block: four parallel paths concatenated along the channels, then a classifier.
import torch
from torch import nn
from torch.nn import functional as F

SHAPE = (4, 3, 24, 24)
CLASSES = 10


class Inception(nn.Module):
    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def make_model():
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        Inception(16, 8, (8, 12), (4, 6), 6),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(32, 10))


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4), None


def train_step(net, optimizer, X, y):
    optimizer.zero_grad()
    l = F.cross_entropy(net(X), y)
    l.backward()
    optimizer.step()
    return l
