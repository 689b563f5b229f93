"""Opt-in ``torch.compile`` of a function, falling back to eager on the first failure.

:class:`CompiledOrEager` wraps a callable (for SGD: the cost's expression, whose autodiff
gives the gradients). The first call runs the compiled version; when compiling fails
(an operation the compiler does not support, a model with Python side effects, ...) it
logs one line naming the function and the reason, and every later call runs eager. A
failure after the first successful call is a real error and propagates.

On CPU the compiled graph also runs its float32 matrix products through oneDNN
(:func:`onednn_matmul_pass`, a post-grad pass over forward and backward graphs): on some x86
CPUs (measured on AMD EPYC with torch's bundled MKL) oneDNN's kernels are about twice as
fast as the BLAS that eager ``torch.mm``/``addmm`` call, and inductor itself only uses its
own GEMM templates for constant (frozen) weights. Results agree with the BLAS within
float32 rounding (the summation order differs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class CompiledOrEager:
    """``fn`` compiled with ``torch.compile`` (``options`` passed on), eager if that fails.

    Parameters
    ----------
    fn : callable
        The function to compile.
    what : str
        How the log line names it (e.g. ``'SoftmaxRegression cost'``).
    cpu_matmuls : bool
        Run float32 CPU matrix products of the graph through oneDNN
        (:func:`onednn_matmul_pass`); for functions whose tensors live on the CPU.
    options : dict, optional
        Keyword arguments of ``torch.compile`` (``mode``, ``dynamic``, ...). ``dynamic``
        defaults to False: each batch shape (the full batch, the short last one) gets its
        own graph, so which graph a batch runs, and its rounding, does not depend on the
        shapes the process saw before (with automatic dynamic shapes a resumed run, whose
        history differs, would run other kernels and part from the uninterrupted run).
    eager_fallback : bool
        When compiling fails, run ``fn`` eager (True, with a warning) or raise the
        failure to the caller (False, logged at debug level), for callers that have a
        fallback of their own.
    """

    def __init__(self, fn: Callable[..., Any], what: str, cpu_matmuls: bool = False,
                 eager_fallback: bool = True, **options: Any) -> None:
        import torch

        self.eager = fn
        self.what = what
        self.eager_fallback = eager_fallback
        self.fallback_reason: str | None = None
        self._proven = False
        try:
            if cpu_matmuls and "mode" not in options and onednn_available():
                inductor = dict(options.pop("options", None) or {})
                inductor.setdefault("post_grad_custom_post_pass", onednn_matmul_pass())
                options["options"] = inductor
            options.setdefault("dynamic", False)
            _raise_recompile_limit()
            _disable_eager_only()
            self._compiled: Callable[..., Any] | None = torch.compile(fn, **options)
        except Exception as error:  # e.g. no compiler backend on this platform
            self._fall_back(error)

    @property
    def compiled(self) -> bool:
        """Whether calls run the compiled function."""
        return self._compiled is not None

    def _fall_back(self, error: BaseException) -> None:
        self._compiled = None
        self.fallback_reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        if self.eager_fallback:
            log.warning("compile: %s cannot be compiled (%s); running it eager.", self.what,
                        self.fallback_reason)
        else:
            log.debug("compile: %s cannot be compiled (%s).", self.what, self.fallback_reason)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled is None:
            if not self.eager_fallback:
                raise RuntimeError(f"{self.what} is not compiled ({self.fallback_reason})")
            return self.eager(*args, **kwargs)
        if self._proven:
            return self._compiled(*args, **kwargs)
        try:
            result = self._compiled(*args, **kwargs)
        except Exception as error:
            self._fall_back(error)
            if not self.eager_fallback:
                raise
            return self.eager(*args, **kwargs)
        self._proven = True
        return result


_eager_only: dict[Any, Any] = {}  # function -> its torch.compiler.disable'd copy (or None)


def eager_when_compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, run eager even inside a compiled function (torch.compile breaks the graph
    around the call). For functions whose work cannot be traced, such as draws from a
    ``torch.Generator``. Unlike decorating with ``torch.compiler.disable``, this does not
    import torch's compiler stack (about 70 MiB) when the module is imported: the
    disabled copy is made when :class:`CompiledOrEager` first compiles. A function
    compiled by other means (a user's own ``torch.compile``) traces ``fn`` as it would
    any code."""
    import functools

    import torch

    _eager_only[fn] = None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if torch.compiler.is_compiling():  # the disabled copy, once CompiledOrEager made it
            return (_eager_only[fn] or fn)(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper


def _disable_eager_only() -> None:
    import torch

    for fn, disabled in _eager_only.items():
        if disabled is None:
            _eager_only[fn] = torch.compiler.disable(fn)


RECOMPILE_LIMIT = 64


def _raise_recompile_limit() -> None:
    """Let each function keep up to :data:`RECOMPILE_LIMIT` compiled variants (torch's
    default is 8). When a cost breaks the graph (Dropout calls its eager mask draw), the
    layers' methods are compiled on their own, once per layer, batch shape and grad mode
    (training step or monitor); past the limit torch runs a function eager from then on,
    so a long run and a resumed one, whose histories differ, would part by rounding."""
    import torch._dynamo

    config = torch._dynamo.config
    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(config, name) and getattr(config, name) < RECOMPILE_LIMIT:
            setattr(config, name, RECOMPILE_LIMIT)
            break


_ONEDNN_OP = "pylearn2::onednn_mm"
_registered: list[Any] = []


def _onednn_mm() -> Any:
    """The op ``a @ b`` by oneDNN, defined with torch.library on first use: a plain CPU
    kernel (the rewritten graphs come after autograd, so it needs no derivative; a
    ``custom_op`` would add about 10 us of wrapping per call), and a fake implementation
    that gives inductor the output shape."""
    if not _registered:
        import torch

        linear = torch.ops.mkldnn._linear_pointwise
        library = torch.library.Library("pylearn2", "FRAGMENT")
        library.define("onednn_mm(Tensor a, Tensor b) -> Tensor")

        def onednn_mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            if a.stride(-1) != 1:  # a layout inductor chose after the rewrite
                a = a.contiguous()
            return linear(a, b.t(), None, "none", [], "")

        def fake(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a.new_empty((a.shape[0], b.shape[1]))

        library.impl("onednn_mm", onednn_mm, "CPU")
        torch.library.register_fake(_ONEDNN_OP, fake, lib=library)
        _registered.extend([torch.ops.pylearn2.onednn_mm.default, library])
    return _registered[0]


def onednn_available() -> bool:
    """Whether this torch build has oneDNN's linear kernel for dense tensors."""
    import torch

    return bool(torch.backends.mkldnn.is_available()) and hasattr(torch.ops.mkldnn,
                                                                   "_linear_pointwise")


def _rows_contiguous(operand: Any) -> bool:
    """Whether a graph operand's rows are contiguous (its last stride is 1), as far as the
    traced example says; unknown counts as not."""
    import torch

    value = operand.meta.get("val") if hasattr(operand, "meta") else None
    return isinstance(value, torch.Tensor) and value.dim() == 2 and value.stride(-1) == 1


def _rewrite_matmuls(graph: Any) -> None:
    """Float32 CPU ``mm``/``addmm`` nodes of ``graph`` call oneDNN; ``addmm(bias, a, b)``
    becomes ``onednn_mm(a, b) + bias`` (inductor fuses the add into the next kernel).

    Products whose first operand is a transposed view (the weight gradients ``h.T @ delta``
    of the backward graph) stay with the BLAS, which reads the view in place: oneDNN would
    need a transposing copy first, and measured here that copy costs more than oneDNN
    gains (784x128x1000: 1.41 ms by the BLAS, 1.55 ms copy and oneDNN)."""
    import torch

    aten = torch.ops.aten
    mm = _onednn_mm()
    for node in list(graph.nodes):
        value = node.meta.get("val") if node.op == "call_function" else None
        if not isinstance(value, torch.Tensor) or value.dtype != torch.float32 \
                or value.device.type != "cpu" or value.dim() != 2:
            continue
        if node.target is aten.mm.default:
            if _rows_contiguous(node.args[0]):
                node.target = mm
        elif node.target is aten.addmm.default and not node.kwargs:
            bias, a, b = node.args
            if not _rows_contiguous(a):
                continue
            with graph.inserting_before(node):
                product = graph.call_function(mm, (a, b))
                total = graph.call_function(aten.add.Tensor, (product, bias))
            product.meta["val"] = total.meta["val"] = value
            node.replace_all_uses_with(total)
            graph.erase_node(node)


_pass_class: list[type] = []


def onednn_matmul_pass() -> Any:
    """An inductor post-grad pass (a ``CustomGraphPass``, so compiled graphs stay
    cacheable) running :func:`_rewrite_matmuls`; built on first use, since
    ``torch._inductor`` loads only when something is compiled."""
    if not _pass_class:
        from torch._inductor.custom_graph_pass import CustomGraphPass

        class OneDNNMatmuls(CustomGraphPass):
            def __call__(self, graph: Any) -> None:
                _rewrite_matmuls(graph)

            def uuid(self) -> str:
                return "pylearn2-onednn-matmuls-2"

        _pass_class.append(OneDNNMatmuls)
    _onednn_mm()  # registered now: a graph from inductor's cache calls the op, yet skips this pass
    return _pass_class[0]()


__all__ = ["CompiledOrEager", "onednn_matmul_pass", "onednn_available"]
