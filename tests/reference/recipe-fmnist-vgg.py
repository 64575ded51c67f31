#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The training recipes of tests/test-train.c and the README, in PyTorch, for comparison.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 recipe-fmnist-vgg.py \
    [--subset 5000] [--epochs 1] [--batch 32] [--lr 0.01] [--nesterov] [--threads 2] [--seed 1]
Same network (SPEC §9), same normalisation (mean 0.2860, std 0.3530), SGD momentum 0.9, weight
decay 5e-4, cosine decay evaluated at every step as Supersign's schedule does. Prints the test
accuracy on the 10,000 test images. Shuffling and initial weights come from PyTorch's generator,
so the two agree statistically, not bit for bit.
"""
import argparse
import gzip
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist/"


def images(name):
    return np.frombuffer(gzip.open(DIR + name).read()[16:], np.uint8).reshape(-1, 1, 28, 28)


def labels(name):
    return np.frombuffer(gzip.open(DIR + name).read()[8:], np.uint8)


class FmnistVgg(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.conv2, self.bn2 = nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.conv3, self.bn3 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.conv4, self.bn4 = nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.fc1, self.fc2 = nn.Linear(3136, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.max_pool2d(F.relu(self.bn4(self.conv4(x))), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=5000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--nesterov", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    def norm(x):
        return torch.tensor((x / 255.0 - 0.2860) / 0.3530, dtype=torch.float32)

    xtr = norm(images("train-images-idx3-ubyte.gz")[: a.subset])
    ytr = torch.tensor(labels("train-labels-idx1-ubyte.gz")[: a.subset]).long()
    xte = norm(images("t10k-images-idx3-ubyte.gz"))
    yte = torch.tensor(labels("t10k-labels-idx1-ubyte.gz")).long()

    model = FmnistVgg()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4,
                          nesterov=a.nesterov)
    n = len(xtr)
    per_epoch = n // a.batch + (n % a.batch > 1)
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        model.train()
        for b in range(per_epoch):
            t = epoch + b / per_epoch
            for group in opt.param_groups:
                group["lr"] = a.lr * (1 + math.cos(math.pi * t / a.epochs)) / 2
            idx = perm[b * a.batch:(b + 1) * a.batch]
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
