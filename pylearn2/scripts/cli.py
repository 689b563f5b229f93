"""The ``pylearn2`` command: one entry point over every tool.

``pylearn2 train job.yaml``, ``pylearn2 print-monitor model.pkl``, ... Each command is
the same function as its stand-alone script (``train.py``, ``print_monitor.py``, ...).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "train": ("pylearn2.scripts.train", "train a model from a YAML experiment file"),
    "convert": ("pylearn2.scripts.convert",
                "convert a model pickled by the original Pylearn2 (read safely)"),
    "print-model": ("pylearn2.scripts.print_model", "print a saved model's description"),
    "num-parameters": ("pylearn2.scripts.num_parameters",
                       "the number of scalar parameters of a saved model"),
    "print-channel-doc": ("pylearn2.scripts.print_channel_doc",
                          "each monitor channel of a saved model with its doc"),
    "diff-monitor": ("pylearn2.scripts.diff_monitor",
                     "where the monitor records of two saved models differ"),
    "print-monitor": ("pylearn2.scripts.print_monitor",
                      "print a saved model's final monitor channel values"),
    "print-monitor-cv": ("pylearn2.scripts.print_monitor_cv",
                         "mean +/- std of final channel values over TrainCV folds"),
    "plot-monitor": ("pylearn2.scripts.plot_monitor", "plot monitor channels of saved models"),
    "summarize-model": ("pylearn2.scripts.summarize_model",
                        "parameter shapes, statistics and totals of a saved model"),
    "show-weights": ("pylearn2.scripts.show_weights", "first-layer filters as an image grid"),
    "show-examples": ("pylearn2.scripts.show_examples", "a grid of examples from a dataset"),
    "predict-csv": ("pylearn2.scripts.predict_csv", "predictions of a saved model on a CSV file"),
    "ais": ("pylearn2.scripts.ais",
            "AIS log partition function and test log-likelihood of an RBM or DBM"),
    "export": ("pylearn2.scripts.export",
               "export a saved model as a state_dict, TorchScript or ONNX file"),
    "demo": ("pylearn2.scripts.demo", "train the bundled digits MLP and print its test error"),
    "svhn-preprocess": ("pylearn2.scripts.svhn_preprocessing",
                        "the maxout paper's SVHN preprocessing (global then local contrast "
                        "normalisation)"),
    "make-svhn-pytables": ("pylearn2.scripts.datasets.make_svhn_pytables",
                           "the SVHN test/valid/splitted_train HDF5 files from the .mat files"),
    "yaml-dryrun": ("pylearn2.scripts.yaml_dryrun",
                    "check a YAML experiment (one batch through everything) without training"),
    "pkl-inspector": ("pylearn2.scripts.pkl_inspector",
                      "what each part of a saved file costs in bytes and load time"),
    "get-version": ("pylearn2.scripts.get_version", "print the library's version"),
    "make-weights-image": ("pylearn2.scripts.make_weights_image",
                           "save a model's first-layer filters as MODEL.png"),
    "compute-test-err": ("pylearn2.scripts.compute_test_err",
                         "a saved classifier's error rate on its dataset's test split"),
    "show-binocular-greyscale-examples": ("pylearn2.scripts.show_binocular_greyscale_examples",
                                          "stereo pairs of a two-channel image dataset, side by side"),
    "browse-conv-weights": ("pylearn2.scripts.browse_conv_weights",
                            "one PNG per convolutional layer: every unit's kernels"),
    "show-samples": ("pylearn2.scripts.dbm.show_samples",
                     "Gibbs samples of a saved DBM or RBM, seeded from its data, as PNG grids"),
    "show-negative-chains": ("pylearn2.scripts.dbm.show_negative_chains",
                             "the persistent negative chains of a saved DBM or RBM"),
    "show-reconstructions": ("pylearn2.scripts.dbm.show_reconstructions",
                             "examples beside a DBM's mean-field reconstructions"),
    "dbm-metrics": ("pylearn2.scripts.dbm.metrics_command",
                    "the original's dbm_metrics.py: `dbm-metrics ais MODEL` is `pylearn2 ais`"),
    "top-filters": ("pylearn2.scripts.dbm.top_filters",
                    "a DBM's second-layer units drawn through their strongest first-layer filters"),
    "make-cifar10-gcn-whitened": ("pylearn2.scripts.datasets.make_cifar10_gcn_whitened",
                               "prepare CIFAR-10 contrast normalised (GCN scale 55) and ZCA-whitened"),
    "make-cifar10-whitened": ("pylearn2.scripts.datasets.make_cifar10_whitened",
                           "prepare CIFAR-10 ZCA-whitened"),
    "make-cifar100-gcn-whitened": ("pylearn2.scripts.datasets.make_cifar100_gcn_whitened",
                                "prepare CIFAR-100 contrast normalised (GCN scale 55) and ZCA-whitened"),
    "make-cifar100-whitened": ("pylearn2.scripts.datasets.make_cifar100_whitened",
                            "prepare CIFAR-100 ZCA-whitened"),
    "make-cifar100-patches": ("pylearn2.scripts.datasets.make_cifar100_patches",
                           "prepare 6x6 contrast-normalised, whitened patches of the CIFAR-100 train set"),
    "make-cifar100-patches-8x8": ("pylearn2.scripts.datasets.make_cifar100_patches_8x8",
                               "prepare 8x8 normalised, whitened patches of the CIFAR-100 train set"),
    "make-downsampled-stl10": ("pylearn2.scripts.datasets.make_downsampled_stl10",
                            "prepare STL-10 downsampled to 32x32 and centred"),
    "make-stl10-whitened": ("pylearn2.scripts.datasets.make_stl10_whitened",
                         "prepare downsampled STL-10, ZCA-whitened"),
    "make-stl10-patches": ("pylearn2.scripts.datasets.make_stl10_patches",
                        "prepare 6x6 whitened patches of the downsampled STL-10 unlabelled + train sets"),
    "make-stl10-patches-8x8": ("pylearn2.scripts.datasets.make_stl10_patches_8x8",
                            "prepare 8x8 whitened patches of the downsampled STL-10 unlabelled + train sets"),
    "grbm-smd-make-dataset": ("pylearn2.scripts.datasets.grbm_smd_make_dataset",
                              "the GRBM tutorial's whitened CIFAR-10 patches, in this folder"),
    "lcc-tangents-make-dataset": ("pylearn2.scripts.datasets.lcc_tangents_make_dataset",
                                  "CIFAR-10 contrast-normalised and PCA-projected, in this folder"),
    "make-mnistplus": ("pylearn2.scripts.datasets.make_mnistplus",
                       "generate MNIST-Plus: embossed, rotated, textured 48x48 digits"),
    "download-mnist": ("pylearn2.scripts.datasets.download_mnist",
                       "download MNIST into $PYLEARN2_DATA_PATH/mnist (checksum-verified)"),
    "download-binarized-mnist": ("pylearn2.scripts.datasets.download_binarized_mnist",
                                 "download binarized MNIST and convert it to .npy"),
    "emotions-make-submission": ("pylearn2.scripts.icml_2013_wrepl.emotions.make_submission",
                                 "the ICML 2013 facial-expression contest's submission file"),
    "black-box-make-submission": ("pylearn2.scripts.icml_2013_wrepl.black_box.make_submission",
                                  "the ICML 2013 black box contest's submission file"),
    "black-box-learn-zca": ("pylearn2.scripts.icml_2013_wrepl.black_box.learn_zca",
                            "ZCA fitted on the black box contest's extra data, saved"),
    "browse-norb": ("pylearn2.scripts.datasets.browse_norb",
                    "NORB stereo pairs chosen by label, as a PNG, with their labels"),
    "browse-small-norb": ("pylearn2.scripts.datasets.browse_small_norb",
                          "small NORB stereo pairs chosen by label, as a PNG"),
    "step-through-small-norb": ("pylearn2.scripts.datasets.step_through_small_norb",
                                "small NORB pairs in order with their labels, as a PNG"),
    "step-through-norb-foveated": ("pylearn2.scripts.datasets.step_through_norb_foveated",
                                   "foveated small NORB pairs in order with their labels"),
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["usage: pylearn2 COMMAND [options]   (pylearn2 COMMAND --help for details)", "",
             "commands:"]
    lines += [f"  {name.ljust(width)}  {doc}" for name, (_, doc) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("--version", "version"):
        from pylearn2 import __version__

        print(f"pylearn2 {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        from pylearn2.utils.exc import did_you_mean

        print(f"pylearn2: unknown command {command!r}.{did_you_mean(command, COMMANDS)}\n\n"
              f"{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    from pylearn2.scripts import _common

    previous, _common.INVOKED_AS = _common.INVOKED_AS, f"pylearn2 {command}"
    try:
        return module.main(rest)
    finally:
        _common.INVOKED_AS = previous


if __name__ == "__main__":
    raise SystemExit(main())
