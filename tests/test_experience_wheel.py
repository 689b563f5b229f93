"""The wheel: built without metadata warnings, installed into a fresh virtual environment,
the demo and the installed package's tests pass from outside the checkout (slow: minutes)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# tests that need only the installed package (no checkout files, no data sets)
PORTABLE_TESTS = ["test_experience_overrides.py", "test_experience_dryrun.py",
                  "test_experience_torch.py", "test_experience_pictures.py"]


def run(argv, cwd, timeout=900):
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


@pytest.mark.slow
def test_wheel_installs_and_works_outside_the_checkout(tmp_path):
    built = run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-v",
                 "-w", str(tmp_path / "dist")], cwd=tmp_path)
    assert "SetuptoolsDeprecationWarning" not in built and "license" not in \
        " ".join(line for line in built.splitlines() if "Warning" in line).lower()
    (wheel,) = (tmp_path / "dist").glob("pylearn2-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", "torch==2.13.0"], cwd=tmp_path)
    run([python, "-m", "pip", "install", "-q", str(wheel), "pytest"], cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = run([python, "-c", "import pylearn2, pathlib; p = pathlib.Path(pylearn2.__file__)"
                 ".parent; print(p); print((p / 'py.typed').exists(), "
                 "(p / 'examples' / 'digits_mlp.yaml').exists())"], cwd=work)
    assert str(venv) in where and "True True" in where
    licence = list(venv.glob("lib/python*/site-packages/pylearn2-*.dist-info/licenses/LICENSE"))
    assert licence and "pylearn2 developers" in licence[0].read_text()
    demo = run([str(venv / "bin" / "pylearn2"), "demo", "--max-epochs", "2", "-q",
                "--out-dir", str(work / "demo")], cwd=work)
    assert "Test error of that model" in demo and (work / "demo" / "digits_mlp_best.pkl").exists()
    tests = work / "tests"
    tests.mkdir()
    for name in ["conftest.py", *PORTABLE_TESTS]:
        shutil.copy(ROOT / "tests" / name, tests / name)
    report = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                  "--rootdir", str(work), str(tests)], cwd=work)
    assert " passed" in report and " failed" not in report
