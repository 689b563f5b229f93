"""Float64 numpy references for tiny DBMs, written from the energy alone.

A model is a list of blocks (a visible layer, a hidden layer, one component of a
composite layer), each with the explicit list of its configurations: ``down`` (what the
layer above multiplies by its weights is ``up``; for probabilistic max pooling ``up`` is
the pool state, ``down`` the detectors). The energy of a joint configuration is

    E = - sum_k bias_k . down_k - sum_(i, k, W) up_i W down_k

over the edges (i below k). ``joint()`` enumerates the Boltzmann distribution;
``mean_field`` runs damped block mean field with the blocks given in ``clamped`` fixed.
"""

import itertools

import numpy as np


def bits(n, values=(0.0, 1.0)):
    return np.array(list(itertools.product(values, repeat=n)), dtype=float)


def pooled_configs(dim, pool_size):
    """Detector configurations of ``dim`` units in pools of ``pool_size`` (at most one
    unit on per pool) and the matching pool states."""
    singles = np.vstack([np.zeros(pool_size), np.eye(pool_size)])
    pools = dim // pool_size
    down = np.array([np.concatenate(c) for c in itertools.product(singles, repeat=pools)])
    up = down.reshape(len(down), pools, pool_size).sum(2)
    return down, up


class Block:
    def __init__(self, down, bias, up=None, name=""):
        self.down = np.asarray(down, float)
        self.up = self.down if up is None else np.asarray(up, float)
        self.bias = np.asarray(bias, float)
        self.name = name


class BlockModel:
    def __init__(self, blocks, edges):
        self.blocks, self.edges = blocks, edges  # edges: (i, k, W) with i below k

    def energy(self, index):
        """Energies of joint configurations (index: one column of config indices per block)."""
        e = -sum(b.down[index[:, k]] @ b.bias for k, b in enumerate(self.blocks))
        for i, k, W in self.edges:
            e = e - ((self.blocks[i].up[index[:, i]] @ W) * self.blocks[k].down[index[:, k]]).sum(1)
        return e

    def all_states(self):
        sizes = [len(b.down) for b in self.blocks]
        return np.array(list(itertools.product(*[range(s) for s in sizes])))

    def joint(self):
        index = self.all_states()
        e = self.energy(index)
        p = np.exp(-(e - e.min()))
        return index, p / p.sum()

    def mean_field(self, clamped, batch, sweeps=3000, damping=0.5):
        """Damped mean field: ``clamped`` maps block index -> (batch, n) fixed ``up`` and
        ``down`` value (the same for visible blocks); returns the expected ``down`` and
        ``up`` of every block."""
        q = {}
        for k, b in enumerate(self.blocks):
            if k in clamped:
                q[k] = None
            else:
                q[k] = np.full((batch, len(b.down)), 1.0 / len(b.down))

        def means(k):
            if k in clamped:
                return clamped[k], clamped[k]
            return q[k] @ self.blocks[k].down, q[k] @ self.blocks[k].up

        for _ in range(sweeps):
            for k, b in enumerate(self.blocks):
                if k in clamped:
                    continue
                down_in = np.tile(b.bias, (batch, 1))
                up_in = np.zeros((batch, b.up.shape[1]))
                for i, j, W in self.edges:
                    if j == k:
                        down_in = down_in + means(i)[1] @ W
                    if i == k:
                        up_in = up_in + means(j)[0] @ W.T
                logits = down_in @ b.down.T + up_in @ b.up.T
                logits -= logits.max(1, keepdims=True)
                new = np.exp(logits)
                q[k] = damping * q[k] + (1 - damping) * new / new.sum(1, keepdims=True)
        return {k: means(k) for k in range(len(self.blocks))}


def code(index, sizes):
    """One integer per joint configuration (mixed radix over the blocks' sizes)."""
    out = np.zeros(len(index), dtype=np.int64)
    for k, s in enumerate(sizes):
        out = out * s + index[:, k]
    return out


def config_index(block, down):
    """Indices of each row of ``down`` (0/1 values) in the block's configuration list."""
    weights = 2.0 ** np.arange(block.down.shape[1])
    table = np.full(2 ** block.down.shape[1], -1)
    table[(block.down @ weights).astype(int)] = np.arange(len(block.down))
    found = table[(np.asarray(down) @ weights).astype(int)]
    assert (found >= 0).all()
    return found


def noise_level(p, n):
    """Expected total variation between p and the frequencies of n draws from it."""
    return 0.5 * np.sqrt(2 * p * (1 - p) / (np.pi * n)).sum()
