"""Same-run reference figures for issue 8's index build: scikit-learn's sparse item-item cosine
and implicit's K=50 item-item model, timed on the very matrix our top-K index is built from
(the `large` world of the `default` preset), in alternation with our build.

The issue's reference figures (bench/reference.toml) were measured once, when it was filed; this
machine's speed drifts by a third within minutes and by up to 2x from day to day, so a figure
of ours measured today is compared fairly only with references measured beside it. The targets
stay the issue's; this adds a comparison that the drift cannot tilt.

    python3 bench/reference.py INSTATOK_BINARY [ROUNDS]

needs `pip install -r bench/requirements.txt`; `cargo xtask bench --references` runs it.
Timings are the CPU time of the timed call on one thread (ours: the thread's CPU time of the
matrix and index stages), peaks the resident memory of the process doing the work.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

# One core, as the target says: no BLAS or OpenMP thread pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402  (after the thread settings)
import scipy.sparse  # noqa: E402

TOP10_USERS = 1000


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path):
    """The item x user matrix `instatok bench-matrix` wrote."""
    with open(path, "rb") as f:
        n_items, n_users = (int(x) for x in np.fromfile(f, dtype="<u4", count=2))
        nnz = int(np.fromfile(f, dtype="<u8", count=1)[0])
        items = np.fromfile(f, dtype="<u4", count=nnz)
        users = np.fromfile(f, dtype="<u4", count=nnz)
        values = np.fromfile(f, dtype="<f8", count=nnz)
    return scipy.sparse.csr_matrix((values, (items, users)), shape=(n_items, n_users))


def run_sklearn(path, dtype):
    from sklearn.metrics.pairwise import cosine_similarity

    x = load(path).astype(dtype)
    before = peak_mib()
    t0 = time.process_time()
    sim = cosine_similarity(x, dense_output=False)
    seconds = time.process_time() - t0
    return {"s": seconds, "peak_mib": peak_mib(), "before_mib": before, "nnz": int(sim.nnz)}


def run_implicit(path):
    from implicit.nearest_neighbours import CosineRecommender

    user_items = load(path).T.tocsr().astype(np.float32)
    before = peak_mib()
    model = CosineRecommender(K=50, num_threads=1)
    t0 = time.process_time()
    model.fit(user_items, show_progress=False)
    seconds = time.process_time() - t0
    users = np.arange(min(TOP10_USERS, user_items.shape[0]))
    t1 = time.process_time()
    model.recommend(users, user_items[users], N=10)
    top10 = time.process_time() - t1
    return {"s": seconds, "peak_mib": peak_mib(), "before_mib": before, "top10_ms": top10 * 1e3}


def child(args):
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    return sorted(xs)[len(xs) // 2]


def main():
    modes = {
        "sklearn64": lambda p: run_sklearn(p, np.float64),
        "sklearn32": lambda p: run_sklearn(p, np.float32),
        "implicit": run_implicit,
    }
    if len(sys.argv) >= 3 and sys.argv[1] in modes:
        print(json.dumps(modes[sys.argv[1]](sys.argv[2])))
        return
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    binary = sys.argv[1]
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary}: not an executable (build it: cargo build --release)")
    try:
        rounds = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    except ValueError:
        sys.exit(f"ROUNDS must be a whole number (got {sys.argv[2]!r})")
    if rounds < 1:
        sys.exit("ROUNDS must be at least 1")
    import implicit
    import sklearn

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "matrix-large.bin")
        shape = child([binary, "bench-matrix", "--world", "large", "--out", path])
        print(
            f"same-run references (scikit-learn {sklearn.__version__}, implicit "
            f"{implicit.__version__}, one thread) on our large world's matrix "
            f"({shape['items']:,} videos x {shape['users']:,} users, {shape['entries']:,} "
            f"entries), {rounds} round{'s' if rounds > 1 else ''} in alternation, CPU time of the timed "
            f"call:"
        )
        ours, sk64, sk32, im = [], [], [], []
        me = [sys.executable, os.path.abspath(__file__)]
        for r in range(rounds):
            o = child([binary, "bench-scale", "--world", "large"])
            s64 = child(me + ["sklearn64", path])
            s32 = child(me + ["sklearn32", path])
            i = child(me + ["implicit", path])
            ours.append(o)
            sk64.append(s64)
            sk32.append(s32)
            im.append(i)
            build = (o["matrix_ms"] + o["index_ms"]) / 1e3
            print(
                f"  round {r + 1}: ours (matrix + top-K index) {build:.3f} s, peak "
                f"{o['peak_rss_mib']:.0f} MiB, top-10 for 1,000 users {o['top10_ms']:.1f} ms"
                f" | scikit-learn cosine_similarity float64 {s64['s']:.3f} s, peak "
                f"{s64['peak_mib']:.0f} MiB; float32 {s32['s']:.3f} s, peak "
                f"{s32['peak_mib']:.0f} MiB | implicit CosineRecommender(K=50).fit "
                f"{i['s']:.3f} s, peak {i['peak_mib']:.0f} MiB, recommend N=10 for 1,000 "
                f"users {i['top10_ms']:.1f} ms"
            )
    b = median([(o["matrix_ms"] + o["index_ms"]) / 1e3 for o in ours])
    s64 = median([x["s"] for x in sk64])
    s32 = median([x["s"] for x in sk32])
    i = median([x["s"] for x in im])
    t_ours = median([o["top10_ms"] for o in ours])
    t_im = median([x["top10_ms"] for x in im])
    print(
        f"  median: index build ours {b:.3f} s | scikit-learn {s64:.3f} s (float64, as ours "
        f"sums), {s32:.3f} s (float32) | implicit K=50 {i:.3f} s: ours takes {b / i:.2f}x "
        f"implicit's time and {b / min(s64, s32):.2f}x scikit-learn's faster one (the issue's "
        f"target, 0.77 s, is implicit's 0.77-0.79 s when the issue was filed)"
    )
    print(
        f"  median: top-10 for 1,000 users ours {t_ours:.1f} ms | implicit {t_im:.1f} ms "
        f"(the issue's target, < 78 ms, is implicit's 78 ms when it was filed)"
    )


if __name__ == "__main__":
    main()
