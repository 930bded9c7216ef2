"""The example networks, written once for any library that speaks torch.nn.

Each builder takes the ``nn`` namespace to build from, so ``lenet(minigrad.nn)`` and
``lenet(torch.nn)`` are the same network; the benchmarks use that to time both libraries on
identical work, and the state_dict keys of the two are identical.
"""


def lenet(nn):
    """A LeNet-style CNN for 1x28x28 digits (conv 5x5 -> pool -> conv 5x5 -> pool -> 3 dense layers).

    Shapes: (N,1,28,28) -> conv1 (N,16,28,28) -> pool (N,16,14,14) -> conv2 (N,32,10,10)
    -> pool (N,32,5,5) -> flatten (N,800) -> (N,120) -> (N,84) -> (N,10).
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def lenet5(nn):
    """The classic LeNet-5 (LeCun et al., 1998, as d2l.ai's chapter 7.6 builds it) for 1x28x28 digits:
    small layers (6 and 16 channels), sigmoid activations and 2x2 average pooling.

    Shapes: (N,1,28,28) -> conv1 (N,6,28,28) -> pool (N,6,14,14) -> conv2 (N,16,10,10)
    -> pool (N,16,5,5) -> flatten (N,400) -> (N,120) -> (N,84) -> (N,10).
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )


def cifar_cnn(nn, width: int = 32):
    """A small VGG-style CNN with BatchNorm for 3x32x32 images: three stages of two 3x3 convolutions,
    each stage ending in 2x2 max pooling, then global average pooling and one linear layer.

    Shapes (width w): (N,3,32,32) -> stage 1 (N,w,16,16) -> stage 2 (N,2w,8,8) -> stage 3 (N,4w,4,4)
    -> global average pool (N,4w,1,1) -> flatten (N,4w) -> (N,10).
    """
    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    w = width
    return nn.Sequential(
        *block(3, w), *block(w, w), nn.MaxPool2d(2),
        *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),
        *block(2 * w, 4 * w), *block(4 * w, 4 * w), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(4 * w, 10),
    )


def conv_autoencoder(nn, code: int = 16):
    """Convolutional autoencoder for 1x28x28 images: strided convolutions down to a ``code``-vector,
    transposed convolutions back up.

    Encoder: (N,1,28,28) -> (N,16,14,14) -> (N,32,7,7) -> flatten (N,1568) -> (N,code).
    Decoder: (N,code) -> (N,1568) -> (N,32,7,7) -> (N,16,14,14) -> (N,1,28,28), sigmoid outputs.
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 7 * 7, code),
        nn.Linear(code, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, kernel_size=3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
    )
