"""hwnas: hardware-aware neural architecture search, from Python.

A thin layer over the hwnas library (the native module hwnas._hwnas):

    import hwnas
    study = hwnas.Study("configs/external.json", run_dir="runs/py")
    for trial in study.ask(4):
        net = trial.to_torch()            # a torch.nn.Module, as hwnas export writes it
        study.tell(trial, {"acc": train_and_validate(net)})
    print(study.pareto())

Study keeps what `hwnas search` keeps: the strategy, the exact cheap objectives and constraints,
dedup of equivalent networks, the fsynced log, pareto.json and the report (docs/ask_tell.md).
Errors raise hwnas.Error (a ValueError) with the messages of the command line.
"""
from ._hwnas import Error, Study, Trial, devices, enumerate, evaluate, predict, scaling_fit

__all__ = ["Error", "Study", "Trial", "devices", "enumerate", "evaluate", "predict", "scaling_fit"]


def _to_torch(self):
    """Build the trial's network as a torch.nn.Module (needs PyTorch): the code `hwnas export`
    writes as model.py, so its parameter count is the one `hwnas evaluate` reports."""
    namespace = {"__name__": "hwnas_trial_%d" % self.id}
    exec(compile(self.pytorch_source(), "<hwnas trial %d>" % self.id, "exec"), namespace)
    return namespace["build"]()


Trial.to_torch = _to_torch
