"""The Python module (build/python/hwnas), run by CTest through pytest: a Python-driven study is
`hwnas search` byte for byte, resumes, and raises hwnas.Error with the command line's messages;
evaluate, predict, enumerate and Trial.to_torch agree with the hwnas program."""
import json, os, shutil, subprocess, sys, zlib

import numpy as np
import pytest

import hwnas

BINARY = os.environ["HWNAS_BINARY"]
SOURCE = os.environ["HWNAS_SOURCE_DIR"]
CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


@pytest.fixture
def tmp(request):
    d = os.path.join(os.environ["HWNAS_TEST_TMP"], "python", request.node.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def fake_acc(arch):  # a stand-in for training, the same in every process
    return 0.5 + (zlib.crc32(arch.encode()) % 1000) / 2500


def config(acc_source, evaluations=24):
    return {"space": {"name": "nb201"},
            "objectives": [{"name": "acc", "source": acc_source, "direction": "maximize"},
                           {"name": "rpi4_ms", "source": {"latency": {"device": "raspberry-pi-4"}}}],
            "constraints": [{"objective": "rpi4_ms", "max": 8}],
            "strategy": {"name": "evolution", "options": {"population": 8, "sample_size": 3}},
            "budget": {"evaluations": evaluations}, "batch_size": 3, "parallelism": 1, "seed": 5}


def test_a_python_loop_is_hwnas_search_byte_for_byte(tmp):
    table = os.path.join(tmp, "acc.csv")
    with open(table, "w") as f:
        f.write("arch_str,acc\n" + "".join(f"{a},{fake_acc(a)!r}\n" for a in hwnas.enumerate("nb201")["arch"]))
    with open(os.path.join(tmp, "table.json"), "w") as f:
        json.dump(config({"table": {"file": "acc.csv", "value": "acc"}}), f)
    r = subprocess.run([BINARY, "search", os.path.join(tmp, "table.json"), "--out", os.path.join(tmp, "search"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    study = hwnas.Study(config({"external": {}}), run_dir=os.path.join(tmp, "study"))
    while trials := study.ask(3):  # batch_size
        for t in trials:
            study.tell(t, {"acc": fake_acc(t.arch)})
    assert study.counts["evaluations"] == 24
    study.close()  # pareto.json is rewritten at most once a second while a study is open, and on close
    for f in ("pareto.json", "pareto.csv"):
        assert open(os.path.join(tmp, "study", f)).read() == open(os.path.join(tmp, "search", f)).read()
    with hwnas.Study(config({"external": {}}), run_dir=os.path.join(tmp, "study"), resume=True) as again:
        assert all(m["objectives"]["acc"] == fake_acc(m["arch"]) for m in again.pareto())
        assert os.path.exists(again.report())


def test_a_python_driven_run_resumes_with_its_pending_trials(tmp):
    run = os.path.join(tmp, "run")
    s = hwnas.Study(config({"external": {}}), run_dir=run)
    first = s.ask(4)
    s.tell(first[0], {"acc": 0.8})
    s.tell(first[1].id, failed="CUDA out of memory")
    del s
    again = hwnas.Study(config({"external": {}}), run_dir=run, resume=True)
    assert [t.id for t in again.pending()] == [first[2].id, first[3].id]
    assert again.pending()[0].cheap == first[2].cheap
    for t in again.pending():
        again.tell(t, {"acc": 0.7})
    assert again.counts == {"evaluations": 4, "failed": 1, "infeasible": 0, "rejected": 0, "duplicates": 0, "pending": 0}
    assert {m["id"] for m in again.pareto()} <= {first[0].id, first[2].id, first[3].id}
    again.close()  # an open study holds the run, as hwnas search does
    with pytest.raises(hwnas.Error, match="this study is closed"):
        again.ask(1)
    # The command line sees the same run.
    r = subprocess.run([BINARY, "ask", run, "--pending", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_a_python_loop_with_asha_trains_at_each_trials_fidelity_like_hwnas_search(tmp):
    def acc_at(arch, steps):  # a stand-in learning curve
        return fake_acc(arch) - 0.1 * (81 - steps) / 81
    with open(os.path.join(tmp, "curves.csv"), "w") as f:
        f.write("arch_str,steps,acc\n")
        for a in hwnas.enumerate("nb201")["arch"]:
            f.write("".join(f"{a},{s},{acc_at(a, s)!r}\n" for s in (9, 27, 81)))
    cfg = config({"table": {"file": "curves.csv", "value": "acc", "fidelity": "steps"}}, evaluations=30)
    cfg["scheduler"] = {"name": "asha", "min_fidelity": 9, "eta": 3}
    with open(os.path.join(tmp, "table.json"), "w") as f:
        json.dump(cfg, f)
    r = subprocess.run([BINARY, "search", os.path.join(tmp, "table.json"), "--out", os.path.join(tmp, "search"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    cfg["objectives"][0]["source"] = {"external": {"fidelity": 81}}
    study = hwnas.Study(cfg, run_dir=os.path.join(tmp, "study"))
    promoted = 0
    while trials := study.ask(3):
        for t in trials:
            assert t.fidelity in (9, 27, 81)
            promoted += t.from_fidelity > 0  # continue your training from that checkpoint
            study.tell(t, {"acc": acc_at(t.arch, t.fidelity)})
    assert promoted > 0
    assert study.counts["steps"] > 0
    study.close()
    for f in ("evaluations.jsonl", "pareto.json"):
        mine = open(os.path.join(tmp, "study", f)).read()
        theirs = open(os.path.join(tmp, "search", f)).read()
        if f == "evaluations.jsonl":  # the same records, but for their times
            mine, theirs = ([{k: v for k, v in json.loads(l).items() if k not in ("elapsed_s", "eval_s")} for l in x.splitlines()] for x in (mine, theirs))
        assert mine == theirs


def test_bad_input_raises_hwnas_error_with_the_message(tmp):
    bad = config({"external": {}})
    bad["budget"]["evaluations"] = "many"
    with pytest.raises(hwnas.Error, match=r"<dict>: budget.evaluations: expected an integer"):
        hwnas.Study(bad, run_dir=os.path.join(tmp, "bad"))
    timed = config({"external": {}})
    timed["budget"] = {"gpu_seconds": 10}  # hwnas cannot time what your code computes
    with pytest.raises(hwnas.Error, match=r"budget.gpu_seconds: objective 'acc' is external"):
        hwnas.Study(timed, run_dir=os.path.join(tmp, "timed"))
    s = hwnas.Study(config({"external": {}}), run_dir=os.path.join(tmp, "run"))
    t = s.ask(1)[0]
    with pytest.raises(ValueError, match=r"'ac' is not an external objective of this study; did you mean 'acc'\?"):
        s.tell(t, {"ac": 1.0})
    with pytest.raises(hwnas.Error, match="give the trial's values"):
        s.tell(t)
    with pytest.raises(hwnas.Error, match="the value of 'acc' is not a number"):
        s.tell(t, {"acc": "high"})
    with pytest.raises(hwnas.Error, match=r"no pending trial 99"):
        s.tell(99, {"acc": 1.0})
    with pytest.raises(hwnas.Error, match=r"n = 0: expected 1 to"):
        s.ask(0)
    with pytest.raises(hwnas.Error, match=r"another hwnas process \(pid \d+\) is writing this run"):
        hwnas.Study(config({"external": {}}), run_dir=os.path.join(tmp, "run"), resume=True)
    with pytest.raises(hwnas.Error, match=r"wait = -1.0+: expected seconds"):
        hwnas.Study(config({"external": {}}), run_dir=os.path.join(tmp, "other"), wait=-1)
    with pytest.raises(hwnas.Error, match="position"):
        hwnas.evaluate("nb201", "|nor_conv_3x3~0|+|bogus~0|")
    with pytest.raises(hwnas.Error, match="unknown device"):
        hwnas.predict("no-such-device", "nb201", [CELL])


def test_evaluate_predict_enumerate_and_to_torch_agree_with_the_program():
    r = subprocess.run([BINARY, "evaluate", "--arch", CELL, "--device", "raspberry-pi-4", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout)
    mine = hwnas.evaluate("nb201", CELL)
    for k in ("params", "macs", "flops", "activation_bytes", "weight_bytes", "hash", "arch", "degenerate"):
        assert mine[k] == cli[k], k
    p = hwnas.predict("raspberry-pi-4", "nb201", [CELL, CELL])
    assert p["latency_ms"].shape == (2,) and p["latency_ms"][0] == pytest.approx(cli["latency_ms"]["raspberry-pi-4"], rel=1e-12)
    assert p["energy_mj"][1] == pytest.approx(cli["energy_mj"]["raspberry-pi-4"], rel=1e-12)
    table = hwnas.enumerate("nb201")
    assert table.shape == (15625,)
    row = table[table["arch"] == CELL][0]
    assert row["params"] == cli["params"] and row["macs"] == cli["macs"]
    assert "raspberry-pi-4" in hwnas.devices()

    torch = pytest.importorskip("torch")
    s = hwnas.Study(config({"external": {}}, evaluations=4), run_dir=os.path.join(os.environ["HWNAS_TEST_TMP"], "python", "to_torch"),
                    force=True)
    for t in s.ask(4):
        net = t.to_torch()
        assert sum(x.numel() for x in net.parameters()) == hwnas.evaluate("nb201", t.arch)["params"]
        assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_the_example_trains_and_prints_the_front(tmp):
    env = dict(os.environ)
    r = subprocess.run([sys.executable, os.path.join(SOURCE, "examples", "train_fashion_mnist.py"), "--trials", "4", "--steps", "5",
                        "--run-dir", os.path.join(tmp, "run")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("trial ") == 4 and "Pareto front" in r.stdout
    log = open(os.path.join(tmp, "run", "evaluations.jsonl")).read().splitlines()
    assert len(log) == 4 and all(0 <= json.loads(l)["objectives"]["acc"] <= 1 for l in log)


def test_scaling_fit_is_the_command_lines():
    csv = os.path.join(SOURCE, "docs", "examples", "space_models.csv")
    r = subprocess.run([BINARY, "scaling", "fit", csv, "--y", "flops", "--x", "params", "--by", "space", "--log", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert hwnas.scaling_fit(csv, "flops", "params", by="space", log=True) == json.loads(r.stdout)
    with pytest.raises(hwnas.Error, match="missing column .nope. \\(columns: space, arch, params, macs, flops\\)"):
        hwnas.scaling_fit(csv, "nope", "params")
