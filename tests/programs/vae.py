# PyTorch's VAE example (smaller hidden layer): reparameterisation, BCE + KL loss, Adam. The noise of the
# reparameterisation is passed in, so both libraries see the same numbers.
import torch
from torch import nn, optim
from torch.nn import functional as F

SHAPE = (8, 1, 28, 28)
CLASSES = 0
NOISE_SHAPE = (8, 20)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc21 = nn.Linear(64, 20)
        self.fc22 = nn.Linear(64, 20)
        self.fc3 = nn.Linear(20, 64)
        self.fc4 = nn.Linear(64, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def make_model():
    return VAE()


def make_optimizer(model):
    return optim.Adam(model.parameters(), lr=1e-3), None


def train_step(model, optimizer, data, noise):
    data = torch.sigmoid(data)  # pixels in (0, 1), as the BCE loss needs
    optimizer.zero_grad()
    recon_batch, mu, logvar = model(data, noise)
    loss = loss_function(recon_batch, data, mu, logvar)
    loss.backward()
    optimizer.step()
    return loss
