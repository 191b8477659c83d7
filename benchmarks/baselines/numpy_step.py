#!/usr/bin/python3
"""The spec's weekly step as a theorist would write it with NumPy and SciPy: vectorised over the
tie list with sparse incidence matrices, no Python loop over agents or ties.

Deterministic mode only (sigma = 0, p_event = 0, phi = 0, no programs: natural ties, so
rho = 1, expertise none, no activation, Es = Ep = 0, m = 0, Kin = 0). The world comes from the
spec §5 CSV pair (agents `id,role,d,a,k,s,r,tau,v,arm`, ties `i,j,type,w,q`). Prints one JSON
line: seconds per week (wall and CPU), peak memory, threads. Used by run_benchmarks.py, which
first checks that its distress agrees with Kindred's to 1e-9.

    numpy_step.py --agents agents.csv --ties ties.csv --weeks 5 [--dump-distress d.bin]

NumPy's element-wise operations and SciPy's sparse matrix-vector products run on one thread
(neither calls BLAS here), so this is a single-threaded baseline whatever OPENBLAS_* says.
"""
import argparse
import io
import json
import resource
import time

import numpy as np
import scipy.sparse as sp

ROLES = [b"patient", b"family", b"friend", b"professional", b"volunteer", b"peer_worker"]
TIE_TYPES = [b"professional", b"peer", b"friend", b"family"]
PEER, FAMILY = 1, 3

# Spec §6 defaults (the deterministic mode sets sigma, p_event and phi to 0).
P = dict(beta_0=0.004, beta_help=0.01, beta_agency=0.015, beta_knowledge=0.01,
         beta_strengths=0.006, beta_recreation=0.006, gamma_self_actualising=0.5, beta_peer=1.0,
         theta_0=0.002, theta_vulnerability=0.03, theta_strain=0.01, theta_loneliness=0.03,
         h_0=0.5, alpha_help_given=0.01, alpha_expert_self=0.006, alpha_decision=0.004,
         delta_dependency=0.01, delta_distress=0.019, mu=0.01, alpha_knowledge=0.05,
         alpha_experience=0.02, alpha_strengths=0.05, alpha_recreation=0.05,
         kappa_reciprocity=0.01, kappa_withdrawal=0.01, kappa_decay=0.002, w_min=0.05,
         w_floor_family=0.2, d_rec=0.3, rec_weeks=12)


def read_csv(path, names, column, usecols):
    """Loads a CSV, replacing the text column by its index in `names`."""
    with open(path, "rb") as f:
        text = f.read()
    text = text[text.index(b"\n") + 1:]
    for code, name in enumerate(names):
        text = text.replace(b"," + name + b",", b",%d," % code) if column > 0 else text
    return np.loadtxt(io.BytesIO(text), delimiter=",", usecols=usecols, ndmin=2)


class World:
    def __init__(self, agents_csv, ties_csv):
        agents = read_csv(agents_csv, ROLES, 1, range(9))
        self.role = agents[:, 1].astype(np.int8)
        self.d, self.a, self.k, self.s, self.r = (agents[:, c].copy() for c in range(2, 7))
        self.tau, self.vulnerability = agents[:, 7].copy(), agents[:, 8].copy()
        self.a0, self.s0, self.r0 = self.a.copy(), self.s.copy(), self.r.copy()
        n = len(self.d)
        self.n = n
        self.streak = np.zeros(n, dtype=np.int64)
        self.recovered = np.full(n, -1, dtype=np.int64)
        ties = read_csv(ties_csv, TIE_TYPES, 2, range(5))
        u = ties[:, 0].astype(np.int64)
        v = ties[:, 1].astype(np.int64)
        self.u, self.v = np.minimum(u, v), np.maximum(u, v)
        self.type = ties[:, 2].astype(np.int8)
        self.w, self.q = ties[:, 3].copy(), ties[:, 4].copy()
        self.week = 0
        self.incidence()

    def incidence(self):
        """Sparse n×m incidence matrices of the tie ends: (Bu @ x)_i = Σ_{e: u_e = i} x_e."""
        m = len(self.u)
        ones = np.ones(m)
        cols = np.arange(m)
        self.Bu = sp.csr_matrix((ones, (self.u, cols)), shape=(self.n, m))
        self.Bv = sp.csr_matrix((ones, (self.v, cols)), shape=(self.n, m))

    def step(self):
        p = P
        d, a, k, s, r = self.d, self.a, self.k, self.s, self.r
        u, v, w, q = self.u, self.v, self.w, self.q
        helps = (q > 0)
        peer = self.type == PEER
        # h(u→v) and h(v→u) (spec §3.1), natural ties: R = 1.
        h_uv = np.where(helps, w * q * (1.0 - d[u]), 0.0)
        h_vu = np.where(helps, w * q * (1.0 - d[v]), 0.0)
        h_uv = np.where(peer, h_uv * (1.0 + p["beta_peer"] * k[u]), h_uv)
        h_vu = np.where(peer, h_vu * (1.0 + p["beta_peer"] * k[v]), h_vu)
        H = self.Bv @ h_uv + self.Bu @ h_vu
        G = self.Bu @ h_uv + self.Bv @ h_vu
        strain_tie = w * np.maximum(-q, 0.0)
        X = self.Bu @ strain_tie + self.Bv @ strain_tie

        # Agents (spec §3.2) with m = 0, Es = Ep = 0, Kin = 0, no noise or events.
        relief = (p["beta_0"] + p["beta_help"] * H + p["beta_agency"] * a
                  + p["beta_strengths"] * s + p["beta_recreation"] * r)
        stress = (p["theta_0"] + p["theta_vulnerability"] * self.vulnerability + p["theta_strain"] * X
                  + p["theta_loneliness"] * np.exp(-H / p["h_0"]))
        d_next = np.clip(d - relief * d + stress * (1.0 - d), 0.0, 1.0)
        a_next = np.clip(a + (p["alpha_help_given"] * G) * (1.0 - a)
                         - (p["delta_distress"] * d) * a + p["mu"] * (self.a0 - a), 0.0, 1.0)
        s_next = np.clip(s - p["delta_distress"] * d * s + p["mu"] * (self.s0 - s), 0.0, 1.0)
        r_next = np.clip(r - p["delta_distress"] * d * r + p["mu"] * (self.r0 - r), 0.0, 1.0)

        # Natural ties (spec §3.3), from the state at t.
        mutual = np.where(w > 0, np.minimum(h_uv, h_vu) / np.where(w > 0, w, 1.0), 0.0)
        w_next = np.clip(w + p["kappa_reciprocity"] * mutual * (1.0 - w)
                         - p["kappa_withdrawal"] * w * (d[u] + d[v]) / 2.0
                         - p["kappa_decay"] * w, 0.0, 1.0)
        family = self.type == FAMILY
        w_next = np.where(family, np.maximum(w_next, p["w_floor_family"]), w_next)
        keep = family | (w_next >= p["w_min"])

        self.d, self.a, self.s, self.r = d_next, a_next, s_next, r_next
        self.w = w_next
        if not keep.all():
            self.u, self.v, self.type = self.u[keep], self.v[keep], self.type[keep]
            self.w, self.q = self.w[keep], self.q[keep]
            self.incidence()
        self.week += 1
        self.streak = np.where(self.d < p["d_rec"], self.streak + 1, 0)
        newly = (self.recovered < 0) & (self.streak >= p["rec_weeks"])
        self.recovered[newly] = self.week


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", required=True)
    parser.add_argument("--ties", required=True)
    parser.add_argument("--weeks", type=int, default=5)
    parser.add_argument("--dump-distress")
    args = parser.parse_args()
    start = time.perf_counter()
    world = World(args.agents, args.ties)
    load_seconds = time.perf_counter() - start
    ties = len(world.u)
    weeks = []
    cpu_start = time.process_time()
    for _ in range(args.weeks):
        start = time.perf_counter()
        world.step()
        weeks.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_start
    if args.dump_distress:
        world.d.astype("<f8").tofile(args.dump_distress)
    weeks_sorted = sorted(weeks)
    print(json.dumps({
        "agents": int(world.n), "ties": int(ties), "ties_final": int(len(world.u)),
        "threads": 1, "weeks": args.weeks, "load_seconds": round(load_seconds, 3),
        "seconds_per_week": sum(weeks) / max(len(weeks), 1),
        "median_week_seconds": weeks_sorted[len(weeks) // 2] if weeks else 0.0,
        "best_week_seconds": weeks_sorted[0] if weeks else 0.0,
        "cpu_seconds_per_week": cpu / max(len(weeks), 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "numpy": np.__version__, "scipy": sp.__name__ and __import__("scipy").__version__,
    }))


if __name__ == "__main__":
    main()
