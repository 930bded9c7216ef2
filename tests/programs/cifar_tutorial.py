# The "Training a Classifier" CIFAR-10 tutorial network with SGD and momentum.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

SHAPE = (4, 3, 32, 32)
CLASSES = 10


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


criterion = nn.CrossEntropyLoss()


def make_model():
    return Net()


def make_optimizer(model):
    return optim.SGD(model.parameters(), lr=0.001, momentum=0.9), None


def train_step(net, optimizer, inputs, labels):
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    return loss
