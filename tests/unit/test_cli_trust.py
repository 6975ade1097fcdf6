"""The command line: model loading that never runs what it should not, inputs checked before
the work starts, one-line errors with exit status 2, layouts with the shapes they feed, help a
newcomer can follow, and ``verify --model`` re-running the network."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorycheck import cli  # noqa: E402
from theorycheck.cli import main  # noqa: E402

N_SIDE = 8


def _run(argv, capsys):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _one_error(err: str) -> str:
    """The stderr of a failed command: warnings and exactly one error line, no traceback."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "no message on stderr"
    assert all(ln.startswith("theorycheck") for ln in lines), err
    errors = [ln for ln in lines if ": error:" in ln]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    return errors[0]


def _fails(argv, capsys) -> str:
    status, _, err = _run(argv, capsys)
    assert status == 2, err
    return _one_error(err)


# --------------------------------------------------------------------------------------
# fixtures: a kernel-pair problem, a user module of factories importable from the cwd
# --------------------------------------------------------------------------------------

def _kernel_pair():
    """A, x, x′ with ‖A(x − x′)‖ tiny and a linear map exact on both: unstable by the theorem."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 6))
    z = np.linalg.svd(A)[2][-1]
    z = z + 1e-3 * A[0] / np.linalg.norm(A[0])
    x = rng.standard_normal(6)
    xp = x + z
    Y = np.stack([A @ x, A @ xp], axis=1)
    B = np.stack([x, xp], axis=1) @ np.linalg.pinv(Y)
    return A, x, xp, B


MODULE_SOURCE = '''
import sys
from os import abort, getcwd
from os.path import join
import torch

MARKER = {marker!r}
M, N = {m}, {n}


def _touch(what):
    with open(MARKER, "a") as fh:
        fh.write(what + "\\n")


class Net(torch.nn.Module):
    """y (B, 1, 4) -> x (B, 1, 6): the kernel-pair map once its weights are loaded."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 6, bias=False).double()

    def forward(self, y):
        return self.lin(y)


def build():
    _touch("build")
    return Net()


def needs_argument(a):
    _touch("needs_argument")
    return Net()


def exits():
    _touch("exits")
    sys.exit(0)


def returns_pair():
    return Net(), 1


def returns_number():
    return 3


def raises():
    raise ValueError("no GPU\\nsecond line")


class NotAModule:
    def __init__(self):
        _touch("NotAModule")


class Expect(torch.nn.Module):
    """Runs only on inputs (B, *shape) of the given complexity; returns an (B, N) real image."""

    def __init__(self, shape, is_complex):
        super().__init__()
        self.shape, self.is_complex = tuple(shape), is_complex
        self.w = torch.nn.Parameter(torch.linspace(0.5, 1.5, N))

    def forward(self, z):
        if tuple(z.shape[1:]) != self.shape or z.is_complex() != self.is_complex:
            raise RuntimeError("expected (B, %s) complex=%s\\ngot %s" % (self.shape, self.is_complex,
                                                                       tuple(z.shape)))
        s = (z.real if z.is_complex() else z).reshape(z.shape[0], -1).sum(1, keepdim=True)
        return s * self.w


def meas_channels_first():
    return Expect((2, M), False)


def meas_channels_last():
    return Expect((M, 2), False)


def meas_complex():
    return Expect((1, M), True)


def meas_flat():
    return Expect((2 * M,), False)


def adj_channels_first():
    return Expect((2, 8, 8), False)


def adj_channels_last():
    return Expect((8, 8, 2), False)


def adj_complex():
    return Expect((1, 8, 8), True)


def adj_flat():
    return Expect((128,), False)


def adj_real():
    return Expect((1, 8, 8), False)


class Magnitude(torch.nn.Module):
    """(B, 2, 8, 8) -> a real (B, 1, 8, 8) image."""

    def forward(self, z):
        return torch.sqrt(z[:, :1] ** 2 + z[:, 1:] ** 2)


class ExitsInForward(torch.nn.Module):
    def forward(self, z):
        sys.exit(0)


instance = Net()
'''


@pytest.fixture
def work(tmp_path, monkeypatch):
    """tmp_path as the current directory, with data files and a module of factories."""
    name = "tc_cli_models_" + "".join(c for c in tmp_path.name if c.isalnum())
    A, x, xp, B = _kernel_pair()
    mask = np.zeros((N_SIDE, N_SIDE), dtype=bool)
    mask[:, :3] = True
    mask[0] = True
    m = int(mask.sum())
    marker = tmp_path / "called.txt"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODULE_SOURCE).format(
        marker=str(marker), m=m, n=N_SIDE * N_SIDE))
    (tmp_path / "helpers_mod.py").write_text("def build():\n    raise SystemExit(3)\n")
    for fname, arr in (("A.npy", A), ("x.npy", x), ("xp.npy", xp), ("mask.npy", mask)):
        np.save(tmp_path / fname, arr)
    rng = np.random.default_rng(1)
    np.save(tmp_path / "img.npy", rng.random((N_SIDE, N_SIDE)))
    np.save(tmp_path / "img2.npy", rng.random((N_SIDE, N_SIDE)))
    np.save(tmp_path / "cimg.npy", rng.random((N_SIDE, N_SIDE)) + 1j)
    np.save(tmp_path / "cimg2.npy", rng.random((N_SIDE, N_SIDE)) - 1j)
    lin = torch.nn.Linear(4, 6, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(B))
    torch.save({"lin.weight": lin.weight.detach().clone()}, tmp_path / "w.pt")
    torch.save({"lin.weight": 1.5 * lin.weight.detach().clone()}, tmp_path / "w_other.pt")
    torch.save({"state_dict": {"lin.weight": lin.weight.detach().clone()}}, tmp_path / "w_nested.pt")
    torch.save({"module.lin.weight": lin.weight.detach().clone()}, tmp_path / "w_dp.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.script(lin).save(str(tmp_path / "model.pt"))
    monkeypatch.chdir(tmp_path)
    yield {"mod": name, "marker": marker, "m": m, "path": tmp_path}
    for key in [k for k in sys.modules if k == name or k == "helpers_mod"]:
        del sys.modules[key]


def _pair_args(work, model, *extra, out="c.json"):
    return ["certify", "--model", model, "--operator", "A.npy", "--x", "x.npy", "--x-prime", "xp.npy",
            "--ball-samples", "0", "--out", out, *extra]


def _called(work) -> list[str]:
    marker = work["marker"]
    return marker.read_text().split() if marker.exists() else []


# --------------------------------------------------------------------------------------
# 1. --model module:factory: refuse what is not a factory, before calling anything
# --------------------------------------------------------------------------------------

def test_dangerous_names_are_refused_and_never_called(work):
    """os:abort, os:_exit, sys:exit and re-exported builtins: exit 2 in a real process."""
    mod = work["mod"]
    specs = ["os:abort", "os:_exit", "sys:exit", "builtins:exit", "builtins:quit", "posix:abort",
             "signal:raise_signal", "os:getcwd", f"{mod}:abort", f"{mod}:getcwd", f"{mod}:join",
             f"{mod}:exits", "helpers_mod:build"]
    script = textwrap.dedent("""
        import sys
        from theorycheck.cli import main
        for spec in sys.argv[1:]:
            rc = main(["certify", "--model", spec, "--operator", "A.npy", "--x", "x.npy",
                       "--x-prime", "xp.npy", "--out", "c.json"])
            print("RC", spec, rc, flush=True)
    """)
    proc = subprocess.run([sys.executable, "-c", script, *specs], capture_output=True, text=True,
                          timeout=300, cwd=work["path"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    codes = dict(line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("RC"))
    assert codes == {s: "2" for s in specs}, proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert all(ln.startswith("theorycheck: ") for ln in lines), proc.stderr
    assert sum(": error:" in ln for ln in lines) == len(specs)
    # the user function that exits was called (it is a factory by the rule), the others were not
    assert _called(work) == ["exits"]
    # the real command line: exit status 2, not 0 (sys:exit) and not a signal (os:abort)
    for spec in ("os:abort", "sys:exit"):
        p = subprocess.run([sys.executable, "-m", "theorycheck", "certify", "--model", spec,
                            "--operator", "A.npy", "--x", "x.npy", "--x-prime", "xp.npy"],
                           capture_output=True, text=True, timeout=300, cwd=work["path"])
        assert p.returncode == 2, (spec, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and "standard-library" in p.stderr


@pytest.mark.parametrize("attr,expect", [
    ("abort", "builtin"),
    ("join", "standard-library function posixpath.join"),
    ("needs_argument", "required argument(s) a"),
    ("NotAModule", "not a torch.nn.Module subclass"),
    ("returns_pair", "returned a tuple"),
    ("returns_number", "returned a int"),
    ("raises", "raised ValueError: no GPU second line"),
    ("exits", "called sys.exit(0)"),
    ("MARKER", "is a str, not a model factory"),
    ("nope", "has no attribute 'nope'"),
])
def test_factory_rule(work, capsys, attr, expect):
    line = _fails(_pair_args(work, f"{work['mod']}:{attr}"), capsys)
    assert expect in line
    if attr in ("abort", "join", "needs_argument", "NotAModule", "MARKER", "nope"):
        assert _called(work) == []  # refused before anything was called


def test_reexported_factory_names_its_defining_module(work, capsys, tmp_path):
    (tmp_path / "reexport_mod.py").write_text(f"from {work['mod']} import build\n")
    try:
        line = _fails(_pair_args(work, "reexport_mod:build"), capsys)
    finally:
        sys.modules.pop("reexport_mod", None)
    assert f"defined in '{work['mod']}'" in line and f"{work['mod']}:build" in line
    assert _called(work) == []


@pytest.mark.parametrize("spec,expect", [
    ("no_such_module_xyz:build", "no module named 'no_such_module_xyz'"),
    ("json:loads", "standard-library module"),
    ("mymodel.py:build", "without .py"),
    ("missing_model.pt", "no such file"),
    ("not a spec", "TorchScript file or module:factory"),
])
def test_model_spec_errors(work, capsys, spec, expect):
    assert expect in _fails(_pair_args(work, spec), capsys)


def test_factory_module_that_exits_at_import(work, capsys, tmp_path):
    (tmp_path / "exit_at_import.py").write_text("raise SystemExit(0)\n")
    try:
        assert "called sys.exit(0)" in _fails(_pair_args(work, "exit_at_import:x"), capsys)
    finally:
        sys.modules.pop("exit_at_import", None)


def test_model_that_exits_in_forward(work, capsys):
    assert "sys.exit" in _fails(_pair_args(work, f"{work['mod']}:ExitsInForward"), capsys)


@pytest.mark.parametrize("attr", ["Net", "build", "instance"])
def test_factories_from_the_current_directory_certify(work, capsys, attr):
    path_before = list(sys.path)
    status, out, err = _run(_pair_args(work, f"{work['mod']}:{attr}", "--weights", "w.pt"), capsys)
    assert status == 0, err
    assert "holds [certified-float64]" in out and (work["path"] / "c.json").exists()
    assert "error" not in err and "warning" not in err
    assert sys.path == path_before  # the current directory is importable only during the command


def test_weights_files(work, capsys):
    mod = work["mod"]
    status, _, err = _run(_pair_args(work, f"{mod}:Net", "--weights", "w_nested.pt"), capsys)
    assert status == 0, err
    assert "module." in _fails(_pair_args(work, f"{mod}:Net", "--weights", "w_dp.pt"), capsys)
    assert "TorchScript model" in _fails(_pair_args(work, f"{mod}:Net", "--weights", "model.pt"), capsys)
    assert "not a file written by torch.save" in _fails(
        _pair_args(work, f"{mod}:Net", "--weights", "x.npy"), capsys)
    assert "no such file" in _fails(_pair_args(work, f"{mod}:Net", "--weights", "nope.pt"), capsys)
    torch.save({"lin.weight": torch.zeros(2, 2)}, work["path"] / "w_shape.pt")
    assert "shapes differ" in _fails(_pair_args(work, f"{mod}:Net", "--weights", "w_shape.pt"), capsys)


def test_warnings_weights_ignored_and_factory_without_weights(work, capsys):
    status, _, err = _run(_pair_args(work, "model.pt", "--weights", "w.pt"), capsys)
    assert status == 0
    assert "warning" in err and "--weights 'w.pt' is ignored" in err and "error" not in err
    status, _, err = _run(_pair_args(work, f"{work['mod']}:Net"), capsys)
    assert status in (0, 1)
    assert "warning: no --weights" in err


def test_torchscript_errors(work, capsys):
    assert "written by torch.save" in _fails(_pair_args(work, "w.pt"), capsys)
    assert "not a TorchScript archive" in _fails(_pair_args(work, "x.npy"), capsys)
    assert "is a folder" in _fails(_pair_args(work, str(work["path"])), capsys)


# --------------------------------------------------------------------------------------
# 2. --out checked before any work
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("out,expect", [
    ("missing_dir/c.json", "does not exist"),
    (".", "is a folder"),
    ("x.npy/c.json", "is a file, not a folder"),
    ("", "give a file name"),
])
def test_certify_out_checked_before_the_work(work, capsys, out, expect):
    line = _fails(_pair_args(work, f"{work['mod']}:build", out=out), capsys)
    assert expect in line
    assert _called(work) == []  # the model was never built


@pytest.mark.parametrize("out,expect", [
    ("x.npy", "is a file, not a folder"),
    ("missing/deeper/demo", "does not exist"),
])
def test_demo_out_checked_before_the_work(work, capsys, out, expect):
    assert expect in _fails(["demo", "--quick", "--no-progress", "--out", out], capsys)


# --------------------------------------------------------------------------------------
# 4. unreadable inputs, wrong shapes, layouts
# --------------------------------------------------------------------------------------

def test_unreadable_and_wrong_inputs(work, capsys):
    p = work["path"]
    (p / "junk.npy").write_bytes(b"not an array")
    np.save(p / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(p / "nan.npy", np.full(6, np.nan))
    np.save(p / "short.npy", np.zeros(5))
    np.save(p / "cube.npy", np.zeros((2, 3, 4)))
    np.save(p / "halfmask.npy", np.full((8, 8), 0.5))
    np.save(p / "empty.npy", np.zeros((0,)))
    np.save(p / "strings.npy", np.array(["a", "b"]))
    torch.save({"a": torch.zeros(2)}, p / "dict.pt")
    (p / "text.txt").write_text("1 2 3")
    cases = [
        (["--x", "junk.npy"], "not a .npy file"),
        (["--x", "obj.npy"], "Object arrays"),
        (["--x", "nan.npy"], "NaN or inf"),
        (["--x", "short.npy"], "has shape (5,) but the operator's images have shape (6,)"),
        (["--x", "empty.npy"], "is empty"),
        (["--x", "strings.npy"], "save numbers"),
        (["--x", "dict.pt"], "holds a dict"),
        (["--x", "text.txt"], "neither .npy"),
        (["--x", "missing.npy"], "no such file"),
        (["--x-prime", "x.npy"], "same image"),
        (["--operator", "cube.npy"], "save a 2-D array"),
        (["--operator", "fourier:halfmask.npy"], "--operator fourier mask 'halfmask.npy': mask has values"),
        (["--operator", "wavelet:mask.npy"], "unknown operator kind 'wavelet'"),
        (["--operator", "fourier:missing.npy"], "no such file"),
        (["--eta", "nan"], "--eta"),
        (["--eta", "-1"], "--eta"),
        (["--ball-samples", "-1"], "--ball-samples"),
        (["--seed", "-3"], "--seed"),
    ]
    for change, expect in cases:
        args = {"--model": "model.pt", "--operator": "A.npy", "--x": "x.npy", "--x-prime": "xp.npy",
                "--out": "c.json"}
        args.update(dict(zip(change[::2], change[1::2])))
        argv = ["certify"] + [t for kv in args.items() for t in kv]
        line = _fails(argv, capsys)
        assert expect in line, (change, line)


def test_usage_errors_are_one_line(capsys):
    for argv, expect in ((["certify", "--model", "m.pt"], "required"),
                         (["certify", "--eta", "abc"], "invalid float"),
                         (["certify", "--layout", "nchw"], "invalid choice"),
                         (["nosuchcommand"], "invalid choice"),
                         ([], "name a command")):
        assert expect in _fails(argv, capsys)


def _expected_shapes(m):
    return {("measurements", "channels-first"): f"(B, 2, {m})",
            ("measurements", "channels-last"): f"(B, {m}, 2)",
            ("measurements", "complex"): f"(B, 1, {m}) complex",
            ("measurements", "flat"): f"(B, {2 * m})",
            ("adjoint", "channels-first"): "(B, 2, 8, 8)",
            ("adjoint", "channels-last"): "(B, 8, 8, 2)",
            ("adjoint", "complex"): "(B, 1, 8, 8) complex",
            ("adjoint", "flat"): "(B, 128)"}


_FACTORY_OF = {("measurements", "channels-first"): "meas_channels_first",
               ("measurements", "channels-last"): "meas_channels_last",
               ("measurements", "complex"): "meas_complex",
               ("measurements", "flat"): "meas_flat",
               ("adjoint", "channels-first"): "adj_channels_first",
               ("adjoint", "channels-last"): "adj_channels_last",
               ("adjoint", "complex"): "adj_complex",
               ("adjoint", "flat"): "adj_flat"}


def _fourier_args(model, *extra):
    return ["certify", "--model", model, "--operator", "fourier:mask.npy", "--x", "img.npy",
            "--x-prime", "img2.npy", "--ball-samples", "0", "--out", "f.json", *extra]


@pytest.mark.parametrize("combo", sorted(_FACTORY_OF))
def test_each_layout_feeds_the_documented_shape(work, capsys, combo):
    """A model that runs only on one shape runs with its flags; otherwise the error lists the
    shape of every layout (checked against shapes computed here) and names the flags that work."""
    inp, lay = combo
    spec = f"{work['mod']}:{_FACTORY_OF[combo]}"
    status, _, err = _run(_fourier_args(spec, "--input", inp, "--layout", lay), capsys)
    assert status in (0, 1), err
    assert ": error:" not in err
    saved = json.loads((work["path"] / "f.json").read_text())
    assert saved["fields"]["check"] == "instability"
    if combo == ("measurements", "channels-first"):
        return
    line = _fails(_fourier_args(spec), capsys)  # default flags: measurements, channels-first
    for (i, la), shape in _expected_shapes(work["m"]).items():
        assert f"{la} {shape}" in line.split(f"--input {i}:")[1], (i, la, line)
    assert f"The model runs with --input {inp} --layout {lay}." in line


def test_model_that_fits_no_layout(work, capsys):
    line = _fails(_fourier_args("model.pt"), capsys)
    assert "It runs with none of them" in line and "(B, 2, 8, 8)" in line


def test_magnitude_layout(work, capsys):
    args = ["certify", "--model", f"{work['mod']}:Magnitude", "--operator", "fourier:mask.npy",
            "--input", "adjoint", "--layout", "magnitude", "--ball-samples", "0", "--out", "g.json"]
    status, _, err = _run(args + ["--x", "img.npy", "--x-prime", "img2.npy"], capsys)
    assert status in (0, 1) and ": error:" not in err
    assert "real (magnitude) images" in _fails(args + ["--x", "cimg.npy", "--x-prime", "cimg2.npy"],
                                              capsys)


def test_other_operators(work, capsys):
    """Real operators feed one real channel: (B, 1, 8, 8) for the adjoint of 8x8 images."""
    np.save(work["path"] / "angles.npy", np.linspace(0.0, np.pi, 4, endpoint=False))
    for op in ("dct:mask.npy", "hadamard:mask.npy", "radon:angles.npy"):
        args = ["--operator", op, "--input", "adjoint", "--x", "img.npy", "--x-prime", "img2.npy",
                "--ball-samples", "0", "--out", "o.json"]
        status, _, err = _run(["certify", "--model", f"{work['mod']}:adj_real"] + args, capsys)
        assert status in (0, 1) and ": error:" not in err, (op, err)
        line = _fails(["certify", "--model", f"{work['mod']}:adj_channels_first"] + args, capsys)
        assert "channels-first or complex (B, 1, 8, 8)" in line and "--input adjoint --layout channels-first" \
            in line.split("The model runs with")[0], (op, line)


def test_unexpected_errors_are_one_line_unless_traceback_is_asked(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("internal\nfailure")

    monkeypatch.setattr(cli, "_cmd_info", boom)
    line = _fails(["info"], capsys)
    assert "unexpected RuntimeError: internal failure" in line and "--traceback" in line
    with pytest.raises(RuntimeError):
        main(["--traceback", "info"])


# --------------------------------------------------------------------------------------
# help
# --------------------------------------------------------------------------------------

def test_main_help_lists_every_command_in_plain_text(capsys):
    status, out, _ = _run(["--help"], capsys)
    assert status == 0
    out.encode("ascii")  # plain text
    assert "``" not in out
    for command in ("demo", "certify", "verify", "info"):
        lines = [ln for ln in out.splitlines() if ln.strip().startswith(command + " ")]
        assert len(lines) == 1 and len(lines[0].split()) > 3, command


def test_every_command_help_shows_its_defaults(capsys):
    parser = cli._parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        status, out, _ = _run([name, "--help"], capsys)
        assert status == 0
        text = " ".join(out.split())
        assert sub.description and " ".join(sub.description.split())[:40] in text
        for action in sub._actions:
            if not action.option_strings or action.help == "show this help message and exit":
                continue
            if action.default not in (None, False):
                assert f"(default: {action.default})" in text, (name, action.dest)
            elif action.default is None and not action.required:
                assert "default:" in (action.help or ""), (name, action.dest)


def test_certify_help_documents_the_model_rule_and_layouts(capsys):
    _, out, _ = _run(["certify", "--help"], capsys)
    text = " ".join(out.split())
    for phrase in ("contains code that runs", "only load files you trust", "defined in that module",
                   "standard-library modules are refused", "(B, 2, m) channels-first",
                   "(B, 2, n, n) channels-first", "weights_only=True", "Exit status"):
        assert phrase in text, phrase


# --------------------------------------------------------------------------------------
# 3. verify --model re-runs the network
# --------------------------------------------------------------------------------------

def test_verify_options(work, capsys):
    status, _, err = _run(_pair_args(work, f"{work['mod']}:Net", "--weights", "w.pt"), capsys)
    assert status == 0, err
    assert "--weights needs --model" in _fails(["verify", "c.json", "--weights", "w.pt"], capsys)
    assert "no such file" in _fails(["verify", "nope.json"], capsys)
    assert "is a folder" in _fails(["verify", "."], capsys)
    (work["path"] / "bad.json").write_text("{not json")
    assert "JSON" in _fails(["verify", "bad.json"], capsys)
    status, out, err = _run(["verify", "c.json"], capsys)
    assert status == 0 and "from the file" in out  # says what was not re-derived


def test_verify_with_model_reruns_the_network(work, capsys):
    if not cli._verifier_takes_model("instability"):
        pytest.skip("the instability verifier does not take model= yet (instability.py)")
    mod = work["mod"]
    status, _, err = _run(_pair_args(work, f"{mod}:Net", "--weights", "w.pt"), capsys)
    assert status == 0, err
    status, out, err = _run(["verify", "c.json", "--model", f"{mod}:Net", "--weights", "w.pt"], capsys)
    assert status == 0, out + err
    assert "warning" not in err
    status, out, _ = _run(["verify", "c.json", "--model", f"{mod}:Net", "--weights", "w_other.pt"],
                          capsys)
    assert status == 1, out  # another network does not reproduce the saved outputs
    status, out, _ = _run(["verify", "c.json"], capsys)
    assert status == 0 and "--model" in out  # the note says how to re-run the network


def test_verify_module_list_is_not_hard_coded():
    assert not hasattr(cli, "VERIFIER_MODULES")


def test_verify_in_a_fresh_process_loads_the_defining_module(work):
    status = main(_pair_args(work, "model.pt"))
    assert status == 0
    proc = subprocess.run([sys.executable, "-m", "theorycheck", "verify", "c.json"], capture_output=True,
                          text=True, timeout=300, cwd=work["path"])
    assert proc.returncode == 0, proc.stderr
    assert "verify:instability: holds" in proc.stdout


def test_python_warnings_are_one_line(monkeypatch, capsys):
    def warns(args):
        warnings.warn("first line\nsecond line", UserWarning, stacklevel=2)
        return 0

    monkeypatch.setattr(cli, "_cmd_info", warns)
    status, _, err = _run(["info"], capsys)
    assert status == 0
    assert err.strip() == "theorycheck: warning: UserWarning: first line second line"
