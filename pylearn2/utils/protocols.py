"""The small structural types the core is written against (see docs/architecture.md).

They describe what the training loop, the algorithms and the monitor call, nothing more,
so any object with these methods works: the library's own classes, a TorchModule adapter,
or a user's class that never inherits from ours. Checked by mypy in ``make lint``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import torch


@runtime_checkable
class BatchIterator(Protocol):
    """What ``Dataset.iterator`` returns: batches of CPU tensors, with resumable state."""

    batch_size: int | None
    num_batches: int | None
    num_examples: int | None
    stochastic: bool

    def __iter__(self) -> Iterator[Any]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@runtime_checkable
class DatasetLike(Protocol):
    """A dataset: its size (None for an endless stream) and an iterator over batches."""

    def get_num_examples(self) -> int | None: ...

    def iterator(self, mode: Any = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> Any: ...


@runtime_checkable
class ModelLike(Protocol):
    """A trainable model: a torch module with spaces, a default cost and constraints."""

    monitor: Any
    dataset_yaml_src: str | None

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]: ...

    def named_parameters(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, Any]]: ...

    def state_dict(self, *args: Any, **kwargs: Any) -> Any: ...

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any: ...

    def to(self, *args: Any, **kwargs: Any) -> Any: ...

    def get_params(self) -> list[torch.nn.Parameter]: ...

    def get_default_cost(self) -> Any: ...

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]: ...

    def enforce_constraints(self) -> None: ...

    def has_constraints(self) -> bool: ...


@runtime_checkable
class CostLike(Protocol):
    """An objective: its value, its gradients and the data it needs."""

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor | None: ...

    def get_gradients(self, model: Any, data: Any,
                      **kwargs: Any) -> tuple[dict[Any, torch.Tensor], dict[Any, Any]]: ...

    def get_data_specs(self, model: Any) -> tuple[Any, Any]: ...

    def is_stochastic(self) -> bool: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


__all__ = ["BatchIterator", "CostLike", "DatasetLike", "ModelLike"]
