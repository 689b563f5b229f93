"""Restricted Boltzmann machines: binary-binary and Gaussian-binary.

An RBM defines p(v, h) ~ exp(-E(v, h)); summing out the binary hidden units gives the
free energy F(v) with p(v) ~ exp(-F(v)). The models expose what the estimators in
:mod:`pylearn2.costs.ebm_estimation` need: ``free_energy``, block Gibbs sampling, the score
``psi(v) = -dF/dv`` and its divergence for score matching. A trained RBM is a Block whose
``perform`` gives the hidden units' means.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError

SML_SEED = 1001  # base seed of the self-training rule's sampling (plus the update count)


def _np_rng(rng: Any) -> np.random.Generator:
    """A numpy Generator from a seed, a seed list, a Generator or a legacy RandomState."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(int(rng.randint(2 ** 31 - 1)))
    return np.random.default_rng(None if rng is None else [int(s) for s in np.atleast_1d(rng)])


def _initial_weights(generator: np.random.Generator, irange: float, nvis: int, nhid: int,
                     random_patches_src: Any) -> np.ndarray:
    """Uniform(-irange, irange) weights, or ``irange`` times data patches as filters:
    an (nhid, nvis) array's transpose, or ``nhid`` random rows of a dataset."""
    if random_patches_src is None:
        return generator.uniform(-irange, irange, (nvis, nhid))
    if hasattr(random_patches_src, "get_design_matrix"):
        X = np.asarray(random_patches_src.get_design_matrix(), dtype=np.float64)
        rows = generator.choice(X.shape[0], size=nhid, replace=X.shape[0] < nhid)
        patches = X[rows]
    else:
        patches = np.asarray(random_patches_src, dtype=np.float64)
    if patches.shape != (nhid, nvis):
        raise ConfigError(f"RBM random_patches_src gives patches of shape {patches.shape}; "
                          f"expected ({nhid}, {nvis}) (one patch of nvis values per hidden unit).")
    return irange * patches.T


class RBM(Model):
    """Binary visible and hidden units: E(v, h) = -b.v - c.h - v^T W h.

    ``W`` is a dense matrix, or any LinearTransform given as ``transformer`` (convolutional,
    tiled, locally connected): the same model then becomes convolutional by configuration.
    """

    def __init__(self, nvis: int | None = None, nhid: int | None = None, vis_space: Any = None,
                 hid_space: Any = None, transformer: Any = None, irange: float = 0.5,
                 rng: Any = (2013, 4, 1), init_bias_vis: float | None = None,
                 init_bias_vis_marginals: Any = None, init_bias_hid: float = 0.0,
                 base_lr: float = 1e-3, anneal_start: Any = None, nchains: int = 100,
                 sml_gibbs_steps: int = 1, random_patches_src: Any = None,
                 monitor_reconstruction: bool = False, learn_log_z: bool = False) -> None:
        super().__init__()
        if transformer is not None:
            vis_space, hid_space = transformer.input_space, transformer.output_space
            nvis, nhid = vis_space.get_total_dimension(), hid_space.get_total_dimension()
        if vis_space is not None:
            nvis = vis_space.get_total_dimension()
        if hid_space is not None:
            nhid = hid_space.get_total_dimension()
        if nvis is None or nhid is None:
            raise ConfigError("RBM needs nvis (or vis_space) and nhid (or hid_space), or a "
                              "transformer.")
        self.nvis, self.nhid = int(nvis), int(nhid)
        self.irange = irange
        self.monitor_reconstruction = monitor_reconstruction
        generator = _np_rng(rng)
        self.transformer = transformer
        self.random_patches_src = random_patches_src
        self.base_lr, self.anneal_start = float(base_lr), anneal_start
        self.nchains, self.sml_gibbs_steps = int(nchains), int(sml_gibbs_steps)
        # The self-training rule's state, in the state_dict so a run resumes exactly: the
        # persistent chains and the update counter (which also seeds each update's sampling).
        self.register_buffer("sml_chains", torch.full((self.nchains, self.nvis), 0.5))
        self.register_buffer("sml_updates", torch.zeros((), dtype=torch.int64))
        self.weights = None if transformer is not None else torch.nn.Parameter(torch.as_tensor(
            _initial_weights(generator, irange, self.nvis, self.nhid, random_patches_src),
            dtype=torch.float32))
        self.bias_vis = torch.nn.Parameter(torch.as_tensor(self._visible_bias(
            init_bias_vis, init_bias_vis_marginals), dtype=torch.float32))
        self.bias_hid = torch.nn.Parameter(torch.full((self.nhid,), float(init_bias_hid)))
        self.log_z = torch.nn.Parameter(torch.zeros(())) if learn_log_z else None
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)

    def _visible_bias(self, init_bias_vis: Any, marginals_dataset: Any) -> np.ndarray:
        if marginals_dataset is not None:
            X = np.asarray(marginals_dataset.get_design_matrix(), dtype=np.float64)
            if X.min() < 0.0 or X.max() > 1.0:
                raise ConfigError("RBM init_bias_vis_marginals needs data in [0, 1].")
            p = 0.01 + 0.98 * X.mean(0)  # squeezed away from 0 and 1 so the logit is finite
            return np.log(p / (1 - p))
        return np.full(self.nvis, 0.0 if init_bias_vis is None else float(init_bias_vis))

    # -- the linear part ----------------------------------------------------------------------
    def lmul(self, v: torch.Tensor) -> torch.Tensor:
        """v W for flat (batch, nvis) visible vectors, flat (batch, nhid) result."""
        if self.transformer is None:
            return v @ self.weights
        t = self.transformer
        out = t.lmul(VectorSpace(self.nvis).format_as(v, t.input_space))
        return t.output_space.format_as(out, VectorSpace(self.nhid))

    def lmul_T(self, h: torch.Tensor) -> torch.Tensor:
        """h W^T for flat hidden vectors."""
        if self.transformer is None:
            return h @ self.weights.T
        t = self.transformer
        out = t.lmul_T(VectorSpace(self.nhid).format_as(h, t.output_space))
        return t.input_space.format_as(out, VectorSpace(self.nvis))

    def weight_matrix(self) -> torch.Tensor:
        """W as a dense (nvis, nhid) matrix (materialised for transforms)."""
        if self.transformer is None:
            return self.weights
        eye = torch.eye(self.nvis, dtype=self.bias_vis.dtype, device=self.bias_vis.device)
        return self.lmul(eye)

    # -- energies ---------------------------------------------------------------------------
    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return self.bias_hid + self.lmul(v)

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return -(v @ self.bias_vis) - (h @ self.bias_hid) - (self.lmul(v) * h).sum(1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        return -(v @ self.bias_vis) - F.softplus(self.hidden_input(v)).sum(1)

    # -- sampling -----------------------------------------------------------------------------
    def mean_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.hidden_input(v))

    def mean_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.bias_vis + self.lmul_T(h))

    def sample_v_given_h(self, h: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return torch.bernoulli(self.mean_v_given_h(h), generator=generator)

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h = torch.bernoulli(self.mean_h_given_v(v), generator=generator)
        return self.sample_v_given_h(h, generator)

    def random_visible(self, n: int, generator: torch.Generator) -> torch.Tensor:
        half = torch.full((n, self.nvis), 0.5, device=self.bias_vis.device,
                          dtype=self.bias_vis.dtype)
        return torch.bernoulli(half, generator=generator)

    # -- score matching -----------------------------------------------------------------------
    def score(self, v: torch.Tensor) -> torch.Tensor:
        """psi(v) = -dF/dv = b + sigmoid(c + vW) W^T."""
        return self.bias_vis + self.lmul_T(self.mean_h_given_v(v))

    def score_divergence(self, v: torch.Tensor) -> torch.Tensor:
        """d psi_i / d v_i per example and visible unit: sum_j sigmoid'(z_j) W_ij^2."""
        p = self.mean_h_given_v(v)
        return (p * (1 - p)) @ (self.weight_matrix() ** 2).T

    # -- as a Block / for monitoring ---------------------------------------------------------
    def perform(self, v: torch.Tensor) -> torch.Tensor:
        return self.mean_h_given_v(v)

    upward_pass = perform

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.perform(v)

    def reconstruction_error(self, v: torch.Tensor) -> torch.Tensor:
        return (self.mean_v_given_h(self.mean_h_given_v(v)) - v).pow(2).sum(1).mean()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features") if self.monitor_reconstruction else \
            super().get_monitoring_data_specs()

    def get_monitoring_channels(self, data: Any) -> dict[str, torch.Tensor]:
        if not self.monitor_reconstruction:
            return {}
        return {"reconstruction_error": self.reconstruction_error(data)}

    def get_weights(self) -> np.ndarray:
        return self.weight_matrix().detach().cpu().numpy()

    def get_weights_format(self) -> tuple[str, str]:
        return ("v", "h")

    def get_weights_topo(self) -> np.ndarray:
        """Filters as images (nhid, rows, cols, channels) when the visibles are a Conv2DSpace."""
        from pylearn2.space import Conv2DSpace

        space = self.transformer.input_space if self.transformer is not None else None
        if not isinstance(space, Conv2DSpace):
            raise ConfigError("RBM.get_weights_topo needs image-shaped visibles (a transformer "
                              "on a Conv2DSpace); use get_weights() for vectors.")
        target = Conv2DSpace(space.shape, space.num_channels, axes=("b", 0, 1, "c"))
        W = self.weight_matrix().detach().cpu().T
        return VectorSpace(self.nvis).format_as(W, target).numpy()

    def get_input_dim(self) -> int:
        return self.nvis

    def get_output_dim(self) -> int:
        return self.nhid

    # -- the original's method names ------------------------------------------------------
    def input_to_h_from_v(self, v: torch.Tensor) -> torch.Tensor:
        """The hidden units' input (the argument of their sigmoid) given v."""
        if isinstance(v, (list, tuple)):
            return [self.input_to_h_from_v(x) for x in v]
        return self.hidden_input(v)

    def input_to_v_from_h(self, h: torch.Tensor) -> torch.Tensor:
        """``b + h W^T``: the visible units' input given h."""
        if isinstance(h, (list, tuple)):
            return [self.input_to_v_from_h(x) for x in h]
        return self.bias_vis + self.lmul_T(h)

    def free_energy_given_v(self, v: torch.Tensor) -> torch.Tensor:
        """F(v), hidden units summed out (one value per example)."""
        return self.free_energy(v)

    def free_energy_given_h(self, h: torch.Tensor) -> torch.Tensor:
        """Binary visibles summed out: ``-c.h - sum_i softplus((b + h W^T)_i)``."""
        return -(h @ self.bias_hid) - F.softplus(self.input_to_v_from_h(h)).sum(1)

    def sample_visibles(self, params: list, shape: Any, generator: torch.Generator) -> torch.Tensor:
        """Samples of v given ``[mean_v_given_h(h)]``."""
        return torch.bernoulli(params[0], generator=generator)

    def gibbs_step_for_v(self, v: torch.Tensor, generator: torch.Generator) -> tuple:
        """One block Gibbs step from v: ``(v_sample, locals)`` with h_mean, h_sample, v_mean."""
        h_mean = self.mean_h_given_v(v)
        h_sample = torch.bernoulli(h_mean, generator=generator)
        v_mean = self.mean_v_given_h(h_sample)
        if isinstance(self, GaussianBinaryRBM):
            v_sample = self.sample_v_given_h(h_sample, generator)
        else:
            v_sample = self.sample_visibles([v_mean], v_mean.shape, generator)
        return v_sample, {"h_mean": h_mean, "h_sample": h_sample, "v_mean": v_mean,
                          "v_sample": v_sample}

    def ml_gradients(self, pos_v: torch.Tensor, neg_v: torch.Tensor) -> list[torch.Tensor]:
        """Gradients of mean F(pos_v) - mean F(neg_v) for each of get_params()."""
        params = list(self.get_params())
        diff = self.free_energy(pos_v.detach()).mean() - self.free_energy(neg_v.detach()).mean()
        grads = torch.autograd.grad(diff, params, allow_unused=True)
        return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]

    # -- the model's own learning rule (Train with algorithm: null) ------------------------
    def learning_rate_at(self, update: int) -> float:
        """``base_lr``, or after ``anneal_start`` updates ``base_lr * anneal_start / t``."""
        if self.anneal_start is None:
            return self.base_lr
        return max(0.0, min(self.base_lr, self.base_lr * float(self.anneal_start) / (update + 1)))

    def learn_mini_batch(self, X: Any) -> None:
        """One SML update on the batch X with ``nchains`` persistent chains advanced
        ``sml_gibbs_steps`` steps, learning rate :meth:`learning_rate_at`."""
        X = torch.as_tensor(np.asarray(X), dtype=self.bias_vis.dtype, device=self.bias_vis.device)
        update = int(self.sml_updates)
        # One generator per update, seeded from the counter: the sampling stream is a function
        # of the saved state alone, on any device.
        gen = torch.Generator(device=X.device).manual_seed(SML_SEED + update)
        lr = self.learning_rate_at(update)
        grads = self.ml_gradients(X, self.sml_chains.to(X.dtype))
        with torch.no_grad():
            v = self.sml_chains.to(X.dtype)
            for _ in range(self.sml_gibbs_steps):
                v, _ = self.gibbs_step_for_v(v, gen)
            self.sml_chains.copy_(v)
            for p, g in zip(self.get_params(), grads):
                p.sub_(lr * g)
            self.sml_updates += 1
        if self.has_constraints():
            self.enforce_constraints()

    def train_batch(self, dataset: Any, batch_size: int) -> bool:
        """Draw ``batch_size`` examples and make one :meth:`learn_mini_batch` update."""
        self.learn_mini_batch(dataset.get_batch_design(batch_size))
        return True


class GaussianBinaryRBM(RBM):
    """Gaussian visible units, binary hidden units; the energy comes from
    ``energy_function_class`` (e.g. ``grbm_type_1``: one scalar sigma, every term over
    sigma^2; see :mod:`pylearn2.energy_functions.rbm_energy`).

    Sigma is learned through ``sigma_driver = sigma / sigma_lr_scale`` (so the plain
    learning rate on the driver moves sigma ``sigma_lr_scale**2`` times as fast) and is
    kept in ``[min_sigma, max_sigma]`` after each update. ``mean_vis`` makes sampling
    return the conditional mean of the visibles.
    """

    def __init__(self, energy_function_class: Any = None, nvis: int | None = None,
                 nhid: int | None = None, vis_space: Any = None, hid_space: Any = None,
                 transformer: Any = None, irange: float = 0.5, rng: Any = (2013, 4, 2),
                 mean_vis: bool = False, init_sigma: float = 2.0, learn_sigma: bool = False,
                 sigma_lr_scale: float = 1.0, init_bias_hid: float = 0.0, min_sigma: float = 0.1,
                 max_sigma: float = 10.0, learn_log_z: bool = False) -> None:
        from pylearn2.energy_functions.rbm_energy import GRBM_EnergyFunction, GRBM_Type_1

        if energy_function_class is None:
            energy_function_class = GRBM_Type_1
        if not (isinstance(energy_function_class, type)
                and issubclass(energy_function_class, GRBM_EnergyFunction)):
            raise ConfigError(
                "GaussianBinaryRBM energy_function_class must be a GRBM_EnergyFunction "
                f"subclass (e.g. !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {{}}), "
                f"got {energy_function_class!r}.")
        super().__init__(nvis=nvis, nhid=nhid, vis_space=vis_space, hid_space=hid_space,
                         transformer=transformer, irange=irange, rng=rng,
                         init_bias_hid=init_bias_hid, learn_log_z=learn_log_z)
        self.energy_function_class = energy_function_class
        self.mean_vis, self.learn_sigma = mean_vis, learn_sigma
        self.init_sigma = init_sigma
        self.sigma_lr_scale = float(sigma_lr_scale)
        self.min_sigma, self.max_sigma = float(min_sigma), float(max_sigma)
        shape = (self.nvis,) if energy_function_class.supports_vector_sigma() else ()
        driver = torch.full(shape, float(init_sigma) / self.sigma_lr_scale)
        if learn_sigma:
            self.sigma_driver = torch.nn.Parameter(driver)
        else:
            self.register_buffer("sigma_driver", driver)
        self.energy_function = energy_function_class(
            transformer=_Transformer(self), bias_hid=self.bias_hid, bias_vis=self.bias_vis,
            sigma=lambda: self.sigma)

    @property
    def sigma(self) -> torch.Tensor:
        return self.sigma_driver * self.sigma_lr_scale

    def _apply(self, fn, *args, **kwargs):
        out = super()._apply(fn, *args, **kwargs)
        # the energy function holds the bias tensors; keep it pointing at the moved ones
        self.energy_function.bias_hid, self.energy_function.bias_vis = self.bias_hid, self.bias_vis
        return out

    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return self.energy_function.hidden_input(v)

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.energy_function.energy([v, h])

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        return self.energy_function.free_energy(v)

    def P_H_given_V(self, v: torch.Tensor) -> torch.Tensor:
        return self.energy_function.mean_H_given_V(v)

    def mean_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        return self.energy_function.mean_H_given_V(v)

    def mean_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        return self.energy_function.mean_V_given_H(h)

    def sample_v_given_h(self, h: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        mean = self.mean_v_given_h(h)
        if self.mean_vis:
            return mean
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return mean + self.sigma * noise

    def random_visible(self, n: int, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn((n, self.nvis), generator=generator, device=self.bias_vis.device,
                            dtype=self.bias_vis.dtype)
        return self.bias_vis.detach() + self.sigma.detach() * noise

    def score(self, v: torch.Tensor) -> torch.Tensor:
        return self.energy_function.score(v)

    def score_divergence(self, v: torch.Tensor) -> torch.Tensor:
        closed_form = getattr(self.energy_function, "score_divergence", None)
        if closed_form is not None:
            return closed_form(v, self.weight_matrix())
        return super().score_divergence(v)

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        return {}

    def has_constraints(self) -> bool:
        return self.learn_sigma

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.learn_sigma:
            self.sigma_driver.clamp_(self.min_sigma / self.sigma_lr_scale,
                                     self.max_sigma / self.sigma_lr_scale)

    def censor_updates(self, updates: dict) -> None:
        """Clip a pending update of ``sigma_driver`` into the sigma range (in place)."""
        if self.learn_sigma and self.sigma_driver in updates:
            updates[self.sigma_driver] = updates[self.sigma_driver].clamp(
                self.min_sigma / self.sigma_lr_scale, self.max_sigma / self.sigma_lr_scale)

    modify_updates = censor_updates


class _Transformer:
    """The RBM's linear part as an energy function sees it: ``lmul`` and ``lmul_T``."""

    def __init__(self, rbm: RBM) -> None:
        self._rbm = [rbm]  # a list, so torch does not register the RBM as its own child

    def lmul(self, v: torch.Tensor) -> torch.Tensor:
        return self._rbm[0].lmul(v)

    def lmul_T(self, h: torch.Tensor) -> torch.Tensor:
        return self._rbm[0].lmul_T(h)


# The original module's other names (spike-and-slab RBM, samplers, stacks, penalty).
from pylearn2.models.rbm_sampling import (  # noqa: E402, F401
    BlockGibbsSampler,
    L1_ActivationCost,
    Sampler,
    build_stacked_RBM,
)
from pylearn2.models.ssrbm import mu_pooled_ssRBM  # noqa: E402, F401
