"""Scores of learned representations and generated images: the Frechet distance between two
feature sets, clustering accuracy with Hungarian matching (Fig. A.10), nearest neighbours (A.8).

Numerical work is float64 in numpy; inputs may be tensors or arrays.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment


def _as_float64(values: Any) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


def feature_statistics(features: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (unbiased, float64) of features ``(N, D)``,
    N >= 2."""
    values = _as_float64(features)
    if values.ndim != 2 or values.shape[0] < 2:
        raise ValueError(f"features: need a (N, D) array with N >= 2, got shape {values.shape}")
    return values.mean(axis=0), np.cov(values, rowvar=False).reshape(values.shape[1], -1)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix (eigen form)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def frechet_distance(mean_a: Any, cov_a: Any, mean_b: Any, cov_b: Any) -> float:
    """Frechet distance between N(mean_a, cov_a) and N(mean_b, cov_b) (means ``(D,)``,
    covariances ``(D, D)``): ``|mu_a - mu_b|^2 + tr(A) + tr(B) - 2 tr((A^1/2 B A^1/2)^1/2)``.

    The trace term uses the symmetric matrix ``A^1/2 B A^1/2`` (same spectrum as ``AB``), whose
    eigenvalues are real and clipped at 0: no complex parts to discard as with ``sqrtm(A B)``.
    """
    mean_a, mean_b = _as_float64(mean_a), _as_float64(mean_b)
    cov_a, cov_b = _as_float64(cov_a), _as_float64(cov_b)
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_root = float(np.sqrt(np.clip(eigenvalues, 0, None)).sum())
    difference = mean_a - mean_b
    value = float(difference @ difference + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)
    return max(value, 0.0)


@dataclass(frozen=True)
class FrechetScore:
    """A Frechet distance with what it was computed from.

    ``name`` is ``"fid"`` only for Inception-V3 pool3 features; a classifier trained on the
    dataset gives ``"domain_frechet_distance"``. ``weights_sha256`` identifies the extractor's
    weights; ``resize_rule`` says how images were brought to its input.
    """

    name: str
    value: float
    extractor: str
    weights_sha256: str
    resize_rule: str
    n_real: int
    n_generated: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dict (JSON-safe)."""
        return asdict(self)


def frechet_score(real_features: Any, generated_features: Any, *, name: str, extractor: str,
                  weights_sha256: str, resize_rule: str) -> FrechetScore:
    """The Frechet distance between two feature sets ``(N_real, D)``, ``(N_gen, D)``, recorded
    with the extractor that produced them."""
    real = feature_statistics(real_features)
    generated = feature_statistics(generated_features)
    return FrechetScore(name, frechet_distance(*real, *generated), extractor, weights_sha256,
                        resize_rule, int(_as_float64(real_features).shape[0]),
                        int(_as_float64(generated_features).shape[0]))


def clustering_accuracy(true_labels: Any, cluster_labels: Any) -> float:
    """Fraction of samples whose cluster maps to their class under the best one-to-one mapping
    of clusters to classes (Hungarian matching on the contingency table). Labels ``(N,)``
    non-negative integers; the numbers of clusters and classes may differ."""
    true = np.asarray(_as_float64(true_labels), dtype=np.int64)
    found = np.asarray(_as_float64(cluster_labels), dtype=np.int64)
    if true.shape != found.shape or true.ndim != 1 or true.size == 0:
        raise ValueError(f"labels: need two (N,) arrays of equal length, got {true.shape} and "
                         f"{found.shape}")
    table = np.zeros((found.max() + 1, true.max() + 1), dtype=np.int64)
    np.add.at(table, (found, true), 1)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return float(table[rows, columns].sum() / true.size)


def gmm_cluster_labels(latents: Any, n_clusters: int = 10, seed: int = 0,
                       n_init: int = 1) -> np.ndarray:
    """Cluster index ``(N,)`` of each latent ``(N, D)`` under a ``n_clusters``-component
    full-covariance Gaussian mixture (C.7), fitted with ``n_init`` initialisations."""
    from sklearn.mixture import GaussianMixture

    mixture = GaussianMixture(n_clusters, covariance_type="full", n_init=n_init,
                              random_state=seed, reg_covar=1e-5)
    return mixture.fit_predict(_as_float64(latents))


def tsne_embedding(latents: Any, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """2-D t-SNE embedding ``(N, 2)`` of latents ``(N, D)`` (Fig. A.10, A.11)."""
    from sklearn.manifold import TSNE

    values = _as_float64(latents)
    perplexity = min(perplexity, max(1.0, (values.shape[0] - 1) / 3))
    return TSNE(2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(values)


def latent_clustering_accuracy(latents: Any, labels: Any, n_clusters: int = 10, seed: int = 0,
                               use_tsne: bool = False) -> float:
    """Clustering accuracy of a GMM on latents ``(N, D)`` (after a t-SNE to 2-D when
    ``use_tsne``) against the true labels ``(N,)``."""
    points = tsne_embedding(latents, seed) if use_tsne else latents
    return clustering_accuracy(labels, gmm_cluster_labels(points, n_clusters, seed))


@dataclass(frozen=True)
class LatentClustering:
    """Clusters of latents and how well they match the classes (Fig. A.10, A.11).

    ``embedding (N, 2)``: the t-SNE of the latents; ``clusters (N,)``: the 10-component GMM
    cluster of each latent (fitted on the latents themselves, C.7); ``accuracy``: their
    clustering accuracy; ``tsne_clusters (N,)`` and ``tsne_accuracy``: the same GMM fitted on
    the 2-D embedding instead.
    """

    embedding: np.ndarray
    clusters: np.ndarray
    accuracy: float
    tsne_clusters: np.ndarray
    tsne_accuracy: float


def cluster_latents(latents: Any, labels: Any, n_clusters: int = 10,
                    seed: int = 0) -> LatentClustering:
    """GMM clusters of latents ``(N, D)`` and of their t-SNE embedding, scored against the
    true labels ``(N,)`` by :func:`clustering_accuracy`."""
    embedding = tsne_embedding(latents, seed)
    clusters = gmm_cluster_labels(latents, n_clusters, seed)
    tsne_clusters = gmm_cluster_labels(embedding, n_clusters, seed)
    return LatentClustering(embedding, clusters, clustering_accuracy(labels, clusters),
                            tsne_clusters, clustering_accuracy(labels, tsne_clusters))


def nearest_neighbours(queries: Any, reference: Any, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(Q, k)`` into ``reference (N, D)`` of the k nearest rows (Euclidean) to each
    query ``(Q, D)``, and their distances ``(Q, k)``, nearest first."""
    from scipy.spatial.distance import cdist

    query = _as_float64(queries).reshape(len(queries), -1)
    rows = _as_float64(reference).reshape(len(reference), -1)
    distances = cdist(query, rows)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)
