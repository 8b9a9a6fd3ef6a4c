"""AutoN-CODE vs AE vs VAE on MNIST (Sec. 4.4-4.5, Table 2, Fig. A.10) at a CPU budget.

For each model: train ``--steps`` Adam steps (lr 1e-3 halved when the mean training loss of a
``--window``-step window stops improving, batch 64, C.4), then report the test reconstruction
MSE, the domain Frechet distance of ``--generated`` images decoded from a ``--components``-component GMM
fitted to the training latents (features of a small MNIST classifier: not FID), and the
clustering accuracy of a 10-component GMM on the test latents (optionally after t-SNE). With
``--fid N``, also the real FID (Inception-V3 pool3 through torchmetrics) of the first N generated
images against the first N test images, and the real-vs-real floor: test images N..2N-1
against the same first N. The paper's numbers are printed beside ours; it reports FID on
CIFAR-10/CelebA only, and MNIST clustering accuracies (``MnistAutoencodingTask.paper_scores``).

Run: nice -n 10 .venv/bin/python benchmarks/autoncode.py [--steps 3000] [--n-train 60000]
[--fid 500] (data: ``python -m ncode_core data fetch mnist``, FID weights:
``python -m ncode_core data fetch inception``; ``--task digits_ae`` runs on bundled digits).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import print_table  # noqa: E402
from ncode_core.config import apply_overrides  # noqa: E402
from ncode_core.feature_extractors import (  # noqa: E402
    classifier_accuracy,
    domain_frechet_distance,
    train_domain_classifier,
)
from ncode_core.inception import FeatureExtractorUnavailable, InceptionFID  # noqa: E402
from ncode_core.metrics import latent_clustering_accuracy  # noqa: E402
from ncode_core.registry import TASKS  # noqa: E402
from ncode_core.tasks.autoencoding import PAPER_GMM_CLUSTERING  # noqa: E402
from ncode_core.sampling import fit_gmm, sample_images  # noqa: E402
from ncode_core.training import Trainer  # noqa: E402



def paper_clustering(task: str, model: str) -> str:
    """The paper's GMM clustering accuracy (%) of ``model`` on ``task``'s dataset, or "-"."""
    column = TASKS[task].paper_scores.get(PAPER_GMM_CLUSTERING, {})
    return f"{column[model]:g}" if model in column else "-"


def train(task: str, model: str, args: argparse.Namespace,
          latent_dim: int | None) -> tuple[Trainer, dict]:
    """A trained Trainer (C.4: Adam 1e-3, batch 64, rate halved on a training-loss plateau of
    ``--window`` steps) and its timing/NFE summary."""
    settings = apply_overrides({}, [f"task.{item}" for item in args.task_set])
    task_cfg = {"n_train": args.n_train, "n_test": args.n_test, **settings.get("task_cfg", {})}
    if latent_dim is not None:
        task_cfg["latent_dim"] = latent_dim
    trainer = Trainer({"task": task, "model": model, "device": "cpu", "seed": args.seed,
                       "training": {"lr": 1e-3, "batch_size": 64, "steps": args.steps,
                                    "eval_every": args.window, "lr_plateau_factor": 0.5},
                       "task_cfg": task_cfg})
    nfe = []
    started = time.perf_counter()
    while trainer.step_count < args.steps:
        nfe.append(trainer.step().get("nfe_forward", 0))
    summary = {"train_s": time.perf_counter() - started, "nfe_forward": sum(nfe) / len(nfe),
               "lr_final": trainer.optimizer.param_groups[0]["lr"],
               "params": trainer.parameter_count}
    return trainer, summary


def score(trainer: Trainer, classifier, fid: InceptionFID | None,
          args: argparse.Namespace) -> dict:
    """Reconstruction MSE, domain Frechet distance of GMM samples, clustering accuracy, and
    the FID of the first ``--fid`` samples when ``fid`` holds the real statistics."""
    task, model = trainer.task, trainer.model
    evaluation = trainer.evaluate()
    train_latents, _ = task.encode(model, task.train_split)
    test_latents, test_labels = task.encode(model, task.test_split)
    mixture = fit_gmm(train_latents, args.components, args.covariance, args.seed)
    generated = sample_images(model, mixture, args.generated, args.seed)
    real = task.test_split.batch(torch.arange(len(task.test_split)))[0]
    frechet = domain_frechet_distance(classifier, real, generated, task.dataset)
    result = {"test_mse": evaluation["test_mse"], "frechet": frechet.to_dict(),
              "clustering": latent_clustering_accuracy(test_latents, test_labels, 10, args.seed)}
    if args.tsne:
        result["clustering_tsne"] = latent_clustering_accuracy(test_latents, test_labels, 10,
                                                               args.seed, use_tsne=True)
    if fid is not None:
        started = time.perf_counter()
        result["fid"] = fid.score(generated[:args.fid]).to_dict()
        result["fid_s"] = time.perf_counter() - started
    return result


def real_fid(args: argparse.Namespace, trainer: Trainer) -> tuple[InceptionFID | None, dict]:
    """The FID scorer holding the first ``--fid`` test images' statistics and the
    real-vs-real floor (test images N..2N-1), or None and the reason it was not computed."""
    if args.fid == 0:
        return None, {"fid": "not requested (--fid N)"}
    split = trainer.task.test_split
    if len(split) < 2 * args.fid or args.generated < args.fid:
        raise SystemExit(f"--fid {args.fid}: needs --n-test >= {2 * args.fid} (real set and "
                         f"floor) and --generated >= {args.fid}")
    try:
        fid = InceptionFID()
    except FeatureExtractorUnavailable as error:
        return None, {"fid": f"not computed: {error}"}
    started = time.perf_counter()
    fid.add_real(split.batch(torch.arange(args.fid))[0])
    floor = fid.score(split.batch(torch.arange(args.fid, 2 * args.fid))[0])
    return fid, {"fid_floor": floor.to_dict(), "fid_floor_s": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="mnist_ae")
    parser.add_argument("--models", nargs="+", default=["autoncode", "ae", "vae", "ae2x"],
                        help="ae2x: the AE with twice the latent size (Fig. A.7)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--window", type=int, default=200, help="steps per plateau check")
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--generated", type=int, default=10000)
    parser.add_argument("--components", type=int, default=100)
    parser.add_argument("--covariance", default="full")
    parser.add_argument("--classifier-steps", type=int, default=2000)
    parser.add_argument("--tsne", action="store_true", help="also t-SNE then GMM (slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task-set", action="append", default=[], metavar="KEY=VALUE",
                        help="task setting, e.g. theta_row_norm=0.5 (repeatable)")
    parser.add_argument("--fid", type=int, default=0, metavar="N",
                        help="also the real FID of N samples vs N test images (Inception-V3, "
                             "about 1 s per image on a loaded CPU); 0: not computed")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    torch.set_num_threads(1)

    results, classifier, fid, fid_summary = {}, None, None, {}
    for name in args.models:
        family = "ae" if name == "ae2x" else name
        # ae2x: twice Table A.1's latent size (Fig. A.7), parameter-matched with the VAE's head
        latent = 2 * TASKS[args.task].architecture.latent_dim if name == "ae2x" else None
        trainer, summary = train(args.task, family, args, latent)
        if classifier is None:
            classifier = train_domain_classifier(trainer.task.train_split, args.classifier_steps,
                                                 seed=args.seed)
            accuracy = classifier_accuracy(classifier, trainer.task.test_split)
            print(f"domain classifier test accuracy {accuracy:.4f}", flush=True)
            fid, fid_summary = real_fid(args, trainer)
            print(json.dumps(fid_summary, default=str), flush=True)
        results[name] = {**summary, **score(trainer, classifier, fid, args)}
        print(name, json.dumps(results[name], default=str), flush=True)
    print_results(results, fid_summary, args)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)},
                                         "fid": fid_summary, "results": results},
                                        indent=2, default=str))


def print_results(results: dict, fid_summary: dict, args: argparse.Namespace) -> None:
    """The table, with the budget it was measured at and the paper's clustering numbers."""
    rows, fid_column = [], "fid" in next(iter(results.values()))
    for name, result in results.items():
        tsne = result.get("clustering_tsne")
        rows.append([name, result["params"], f"{result['test_mse']:.4f}",
                     f"{result['frechet']['value']:.3f}", f"{100 * result['clustering']:.2f}",
                     "-" if tsne is None else f"{100 * tsne:.2f}",
                     *([f"{result['fid']['value']:.2f}"] if fid_column else []),
                     paper_clustering(args.task, name),
                     f"{result['nfe_forward']:.0f}", f"{result['train_s']:.0f}"])
    print(f"\n{args.task} {' '.join(args.task_set)}: {args.steps} steps of batch 64, "
          f"n_train {args.n_train}, n_test {args.n_test}; GMM {args.components} components "
          f"({args.covariance}) on train latents, {args.generated} generated vs {args.n_test} "
          f"test images; seed {args.seed}")
    print_table(["model", "params", "test MSE", "domain FD", "clust %", "t-SNE clust %",
                 *([f"FID (N={args.fid})"] if fid_column else []),
                 "paper clust %", "NFE fwd", "train s (under load)"], rows)
    print("domain FD: Frechet distance of a small classifier's penultimate features, not FID.")
    if fid_column:
        floor = fid_summary["fid_floor"]
        print(f"FID: {floor['extractor']} (weights sha256 {floor['weights_sha256'][:12]}...), "
              f"{args.fid} GMM samples vs the first {args.fid} test images; real-vs-real floor "
              f"(test images {args.fid}..{2 * args.fid - 1}): {floor['value']:.2f}. Resize: "
              f"{floor['resize_rule']}.")
    else:
        print(f"FID: {fid_summary['fid']}")


if __name__ == "__main__":
    main()
