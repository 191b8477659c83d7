#!/usr/bin/python3
"""Independent reference implementation of the Kindred model (spec version 1), deterministic mode only.

Written from docs/spec/MODEL.md and docs/scenario-format.md alone, without looking at the C++
sources, so that the two implementations can check each other.  Deterministic mode means

    sigma = 0, p_event = 0, phi = 0 (no new friendships), persist_probability in {0, 1}

so a run makes no random draw at all.  Anything else is refused with a clear error.

Output convention (row w of every per-agent array):
    row w = the state of week w AFTER step 1 of week w (enrolments starting at t0 = w, then those
    ending at t1 = w), with the flows H, G, X computed from that state.  The final row T applies
    step 1 for week T (only ends; no start week can be T) and computes the flows from that state.
    Agents created at week w appear from row w; earlier rows hold NaN.

Usage:
    kindred_reference.py SCENARIO.yaml --models-dir DIR -o OUT.npz

The module can also be imported: run_scenario(path, models_dir) returns a Result; World, Program,
Enrolment and simulate() let tests build a world by hand.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

try:
    import yaml
except ImportError:  # pragma: no cover - environment problem, not a model problem
    sys.exit("kindred_reference: PyYAML is missing (apt-get install -y python3-yaml)")


class ReferenceInputError(Exception):
    """A scenario or model the reference cannot (or must not) run."""


# ---------------------------------------------------------------------------------------------
# Spec section 6: default parameters (per week), by their file names.
# ---------------------------------------------------------------------------------------------

DEFAULT_PARAMETERS: Dict[str, float] = {
    # relief
    "beta_0": 0.004,
    "beta_help": 0.01,
    "beta_agency": 0.015,
    "beta_knowledge": 0.01,
    "beta_strengths": 0.006,
    "beta_recreation": 0.006,
    "gamma_self_actualising": 0.5,
    "beta_peer": 1.0,
    # stress
    "theta_0": 0.002,
    "theta_vulnerability": 0.03,
    "theta_strain": 0.01,
    "theta_loneliness": 0.03,
    "h_0": 0.5,
    "p_event": 0.02,
    "event_size": 0.1,
    "sigma": 0.02,
    # agency & resources
    "alpha_help_given": 0.01,
    "alpha_expert_self": 0.006,
    "alpha_decision": 0.004,
    "delta_dependency": 0.01,
    "delta_distress": 0.019,
    "mu": 0.01,
    "alpha_knowledge": 0.05,
    "alpha_experience": 0.02,
    "alpha_strengths": 0.05,
    "alpha_recreation": 0.05,
    # ties
    "kappa_reciprocity": 0.01,
    "kappa_withdrawal": 0.01,
    "kappa_decay": 0.002,
    "w_min": 0.05,
    "w_floor_family": 0.2,
    "phi": 0.02,
    "p_triadic_closure": 0.7,
    "w_new": 0.2,
    "q_new": 0.5,
    # recovery
    "d_rec": 0.3,
    "rec_weeks": 12,
}

ROLES = ("patient", "family", "friend", "professional", "volunteer", "peer_worker")
TIE_TYPES = ("professional", "peer", "friend", "family")
EXPERTISE = ("none", "provider", "patient", "peers", "everyone")
RESOURCES = (
    "social_relationships",
    "decision_making",
    "experiential_knowledge",
    "individual_strengths",
    "recreational_activities",
    "self_actualising",
)
SOC, DEC, EXP, STR, REC, SA = range(6)
RECIPROCITY_WORDS = {"reciprocal": 1.0, "partial": 0.5, "unidirectional": 0.0}
ELEMENTS = ("professional", "peer_worker", "volunteer", "group", "staff", "activate")

# Spec section 4: new program staff.
NEW_STAFF_STATE = dict(d=0.1, a=0.7, k=0.0, s=0.7, r=0.5, tau=0.5, v=0.0)
NEW_PEER_WORKER_STATE = dict(NEW_STAFF_STATE, d=0.2, k=0.8)


def clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    """clip(x) = min(max(x, lo), hi)."""
    return min(max(x, lo), hi)


def pos(x: float) -> float:
    """x+ = max(x, 0)."""
    return max(x, 0.0)


def neg(x: float) -> float:
    """x- = max(-x, 0)."""
    return max(-x, 0.0)


# ---------------------------------------------------------------------------------------------
# Entities (spec section 1)
# ---------------------------------------------------------------------------------------------


@dataclass
class Agent:
    id: int
    role: str
    d: float
    a: float
    k: float
    s: float
    r: float
    tau: float
    v: float
    arm: Optional[str] = None
    created_week: int = 0
    a0: float = 0.0
    s0: float = 0.0
    r0: float = 0.0
    streak: int = 0
    recovered_week: Optional[int] = None

    def __post_init__(self) -> None:
        # Set points a0, s0, r0 = the initial a, s, r.
        self.a0, self.s0, self.r0 = self.a, self.s, self.r


@dataclass
class Tie:
    u: int  # smaller id
    v: int  # larger id
    type: str
    w: float
    q: float
    rho: float = 1.0
    expertise: str = "none"
    client: Optional[int] = None
    provider: Optional[int] = None
    enrolment: Optional[int] = None  # None = natural tie
    element: Optional[str] = None  # delivery element that created it (program ties)
    persist: float = 0.0  # persist_probability of that element (volunteer / peer_worker)

    @property
    def natural(self) -> bool:
        return self.enrolment is None

    def other(self, i: int) -> int:
        return self.v if i == self.u else self.u


@dataclass
class Element:
    kind: str
    type: str = "peer"  # group only
    types: Tuple[str, ...] = ()  # activate only
    a_w: float = 0.01  # activate only
    a_q: float = 0.01  # activate only
    persist_probability: float = 0.0  # volunteer, peer_worker only


@dataclass
class Program:
    name: str
    resources: List[float]  # m, in RESOURCES order
    reciprocity: float  # rho
    expertise: str
    start_week: int = 0
    duration_weeks: int = 52
    valence: float = 0.8
    strength: float = 0.3
    group_strength: float = 0.1
    caseload: int = 10
    group_size: int = 8
    staff_per_group: int = 1
    relationship_types: Tuple[str, ...] = ()
    delivery: List[Element] = field(default_factory=list)

    @property
    def m_soc(self) -> float:
        return self.resources[SOC]


@dataclass
class Enrolment:
    """A program applied to the patients of one arm from week t0 to t1 = t0 + duration."""

    index: int  # creation order: start week, then arm order, then program order
    arm: str
    program: Program
    t0: int
    t1: int
    patients: List[int] = field(default_factory=list)  # ascending ids, fixed at t0

    def active(self, t: int) -> bool:
        return self.t0 <= t < self.t1


class World:
    def __init__(self, agents: List[Agent], ties: List[Tie]):
        self.agents = agents
        self.ties = ties  # kept in creation order
        for n, ag in enumerate(agents):
            if ag.id != n:
                raise ReferenceInputError(f"agent ids must be 0..N-1 in order (row {n} has id {ag.id})")
        seen = set()
        for e in ties:
            if e.u == e.v:
                raise ReferenceInputError(f"self-tie on agent {e.u}")
            if not (0 <= e.u < len(agents) and 0 <= e.v < len(agents)):
                raise ReferenceInputError(f"tie {e.u}-{e.v} names an unknown agent")
            if e.natural:
                key = (e.u, e.v)
                if key in seen:
                    raise ReferenceInputError(f"second natural tie for pair {key}")
                seen.add(key)

    def new_agent(self, role: str, week: int) -> int:
        state = NEW_PEER_WORKER_STATE if role == "peer_worker" else NEW_STAFF_STATE
        ag = Agent(id=len(self.agents), role=role, created_week=week, **state)
        self.agents.append(ag)
        return ag.id

    def add_tie(self, i: int, j: int, **kw) -> Tie:
        u, v = (i, j) if i < j else (j, i)
        e = Tie(u=u, v=v, **kw)
        self.ties.append(e)
        return e

    def natural_tie_exists(self, u: int, v: int) -> bool:
        return any(e.natural and e.u == u and e.v == v for e in self.ties)


# ---------------------------------------------------------------------------------------------
# Section 4: delivering a program
# ---------------------------------------------------------------------------------------------


def program_tie_fields(prog: Program, enr: Enrolment, element: Element, w: float) -> dict:
    """All program ties: q = valence, rho and expertise of the program."""
    return dict(
        w=w,
        q=prog.valence,
        rho=prog.reciprocity,
        expertise=prog.expertise,
        enrolment=enr.index,
        element=element.kind,
        persist=element.persist_probability,
    )


def chunks(seq: Sequence[int], size: int) -> List[List[int]]:
    """Consecutive chunks of `size` (the last may be smaller)."""
    return [list(seq[i : i + size]) for i in range(0, len(seq), size)]


def start_enrolment(world: World, enr: Enrolment, week: int) -> None:
    """What each delivery element creates at t0 (spec section 4, table)."""
    prog = enr.program
    patients = enr.patients  # ascending id
    n = len(patients)
    w_one = prog.strength * prog.m_soc  # one-to-one and staff ties
    w_group = prog.group_strength * prog.m_soc  # group ties
    for el in prog.delivery:
        if el.kind in ("professional", "peer_worker"):
            role = el.kind
            tie_type = "professional" if el.kind == "professional" else "peer"
            staff = [world.new_agent(role, week) for _ in range(math.ceil(n / prog.caseload))]
            for k, p in enumerate(patients):
                prov = staff[k // prog.caseload]
                world.add_tie(p, prov, type=tie_type, client=p, provider=prov,
                              **program_tie_fields(prog, enr, el, w_one))
        elif el.kind == "volunteer":
            for p in patients:
                vol = world.new_agent("volunteer", week)
                world.add_tie(p, vol, type="friend", client=p, provider=vol,
                              **program_tie_fields(prog, enr, el, w_one))
        elif el.kind == "group":
            for chunk in chunks(patients, prog.group_size):
                for x in range(len(chunk)):
                    for y in range(x + 1, len(chunk)):
                        f = program_tie_fields(prog, enr, el, w_group)
                        f["rho"] = 1.0  # no client: rho stored as 1
                        world.add_tie(chunk[x], chunk[y], type=el.type, client=None,
                                      provider=None, **f)
        elif el.kind == "staff":
            for chunk in chunks(patients, prog.group_size):
                for _ in range(prog.staff_per_group):
                    st = world.new_agent("professional", week)
                    for p in chunk:
                        # READING: staff ties have type professional (staff are professionals).
                        world.add_tie(p, st, type="professional", client=p, provider=st,
                                      **program_tie_fields(prog, enr, el, w_one))
        elif el.kind == "activate":
            pass  # no new tie; see activation_rates()
        else:  # pragma: no cover - validated at load
            raise ReferenceInputError(f"unknown element {el.kind}")


def end_enrolment(world: World, enr: Enrolment) -> None:
    """At t1 all ties of the enrolment are removed, except: group ties become natural ties;
    volunteer and peer-worker ties become natural when persist_probability is 1.  A converted
    tie keeps type, w, q and gets rho = 1, expertise none, no client/provider.  Ties are
    converted in creation order; one whose pair already holds a natural tie (including one
    converted a moment earlier) is removed instead."""
    removed = set()
    for e in world.ties:  # world.ties is in creation order
        if e.enrolment != enr.index:
            continue
        converts = e.element == "group" or (
            e.element in ("volunteer", "peer_worker") and e.persist == 1.0
        )
        if converts and not world.natural_tie_exists(e.u, e.v):
            e.rho, e.expertise, e.client, e.provider = 1.0, "none", None, None
            e.enrolment, e.element, e.persist = None, None, 0.0
        else:
            removed.add(id(e))
    world.ties = [e for e in world.ties if id(e) not in removed]


def step1_deliveries(world: World, enrolments: List[Enrolment], t: int) -> None:
    """Start the enrolments with t0 = t, then end those with t1 = t (creation order)."""
    for enr in enrolments:
        if enr.t0 == t:
            enr.patients = sorted(
                ag.id for ag in world.agents if ag.role == "patient" and ag.arm == enr.arm
            )
            start_enrolment(world, enr, t)
    for enr in enrolments:
        if enr.t1 == t:
            end_enrolment(world, enr)


# ---------------------------------------------------------------------------------------------
# Section 2 step 2: what the active enrolments give each agent
# ---------------------------------------------------------------------------------------------


@dataclass
class Exposure:
    m: List[float]  # element-wise max of resources of active enrolments (0 if none)
    Es: int  # number of active enrolments with expertise patient or everyone
    Ep: int  # number of active enrolments with expertise provider


def exposures(world: World, enrolments: List[Enrolment], t: int) -> List[Exposure]:
    out = [Exposure(m=[0.0] * 6, Es=0, Ep=0) for _ in world.agents]
    for enr in enrolments:
        if not enr.active(t):
            continue
        for p in enr.patients:
            x = out[p]
            x.m = [max(a, b) for a, b in zip(x.m, enr.program.resources)]
            if enr.program.expertise in ("patient", "everyone"):
                x.Es += 1
            if enr.program.expertise == "provider":
                x.Ep += 1
    return out


# ---------------------------------------------------------------------------------------------
# 3.1 Help flowing on ties
# ---------------------------------------------------------------------------------------------


def help_flow(world: World, e: Tie, src: int, P: Dict[str, float]) -> float:
    """h(u->v) = w * q+ * (1 - d_u) * R(u) * P(u)."""
    du = world.agents[src].d
    R = e.rho if (e.client is not None and src == e.client) else 1.0  # R(u)
    Pu = 1.0 + P["beta_peer"] * world.agents[src].k if e.type == "peer" else 1.0  # P(u)
    return e.w * pos(e.q) * (1.0 - du) * R * Pu


@dataclass
class Flows:
    H: List[float]  # help received
    G: List[float]  # help given
    X: List[float]  # strain
    Kin: List[float]  # knowledge offered


def compute_flows(world: World, P: Dict[str, float]) -> Flows:
    n = len(world.agents)
    H, G, X, Kin = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
    for e in world.ties:
        for i, j in ((e.u, e.v), (e.v, e.u)):
            h_ji = help_flow(world, e, j, P)  # h(j -> i)
            h_ij = help_flow(world, e, i, P)  # h(i -> j)
            H[i] += h_ji
            G[i] += h_ij
            X[i] += e.w * neg(e.q)
            if e.expertise in ("peers", "everyone"):
                Kin[i] += e.w * pos(world.agents[j].k - world.agents[i].k)
    return Flows(H, G, X, Kin)


# ---------------------------------------------------------------------------------------------
# 3.2 Agents
# ---------------------------------------------------------------------------------------------


def relief(ag: Agent, H: float, m: List[float], P: Dict[str, float]) -> float:
    """Relief = (b0 + bH*H + bA*a + bK*m_exp*k + bS*s + bR*r) * (1 + gSA*m_sa*tau)."""
    return (
        P["beta_0"]
        + P["beta_help"] * H
        + P["beta_agency"] * ag.a
        + P["beta_knowledge"] * m[EXP] * ag.k
        + P["beta_strengths"] * ag.s
        + P["beta_recreation"] * ag.r
    ) * (1.0 + P["gamma_self_actualising"] * m[SA] * ag.tau)


def stress(ag: Agent, H: float, X: float, P: Dict[str, float]) -> float:
    """Stress = th0 + thV*v + thX*X + thL*exp(-H/h0) + E,   E = 0 (p_event = 0)."""
    E = 0.0
    return (
        P["theta_0"]
        + P["theta_vulnerability"] * ag.v
        + P["theta_strain"] * X
        + P["theta_loneliness"] * math.exp(-H / P["h_0"])
        + E
    )


def update_agent(ag: Agent, H: float, G: float, X: float, Kin: float, ex: Exposure,
                 P: Dict[str, float]) -> Tuple[float, float, float, float, float]:
    """Returns (d', a', k', s', r') from the state at t (sigma = 0, so xi plays no part)."""
    m = ex.m
    d, a, k, s, r = ag.d, ag.a, ag.k, ag.s, ag.r
    Rel = relief(ag, H, m, P)
    Str = stress(ag, H, X, P)
    d_new = clip(d - Rel * d + Str * (1.0 - d))
    a_new = clip(
        a
        + (P["alpha_help_given"] * G + P["alpha_expert_self"] * ex.Es + P["alpha_decision"] * m[DEC])
        * (1.0 - a)
        - (P["delta_dependency"] * ex.Ep + P["delta_distress"] * d) * a
        + P["mu"] * (ag.a0 - a)
    )
    k_new = clip(k + (P["alpha_knowledge"] * Kin + P["alpha_experience"] * m[EXP]) * (1.0 - k))
    s_new = clip(s + P["alpha_strengths"] * m[STR] * (1.0 - s) - P["delta_distress"] * d * s
                 + P["mu"] * (ag.s0 - s))
    r_new = clip(r + P["alpha_recreation"] * m[REC] * (1.0 - r) - P["delta_distress"] * d * r
                 + P["mu"] * (ag.r0 - r))
    return d_new, a_new, k_new, s_new, r_new


# ---------------------------------------------------------------------------------------------
# 3.3 Natural ties
# ---------------------------------------------------------------------------------------------


def activation_rates(world: World, enrolments: List[Enrolment], e: Tie, t: int
                     ) -> Optional[Tuple[float, float]]:
    """(a_w, a_q) if the natural tie e is activated in week t, else None.

    Activated when one end is a patient with an active enrolment whose program activates the
    tie's type; a_w and a_q are the element's rates times the program's m_soc, each the largest
    on offer separately."""
    best_w = best_q = None
    for enr in enrolments:
        if not enr.active(t):
            continue
        ends = [x for x in (e.u, e.v) if x in enr.patients]  # enrolled patients only
        if not ends:
            continue
        for el in enr.program.delivery:
            if el.kind == "activate" and e.type in el.types:
                aw = el.a_w * enr.program.m_soc
                aq = el.a_q * enr.program.m_soc
                best_w = aw if best_w is None else max(best_w, aw)
                best_q = aq if best_q is None else max(best_q, aq)
    if best_w is None:
        return None
    return best_w, best_q


def update_natural_tie(world: World, e: Tie, act: Optional[Tuple[float, float]],
                       P: Dict[str, float]) -> Tuple[float, float]:
    """mutual = min(h(i->j), h(j->i)) / w  (0 if w = 0)
    w' = clip(w + kR*mutual*(1-w) - kW*w*(d_i+d_j)/2 - k0*w + [act]*a_w*(1-w))
    q' = clip(q + [act]*a_q*(1-q), -1, 1)."""
    w, q = e.w, e.q
    di, dj = world.agents[e.u].d, world.agents[e.v].d
    mutual = min(help_flow(world, e, e.u, P), help_flow(world, e, e.v, P)) / w if w > 0 else 0.0
    a_w, a_q = act if act is not None else (0.0, 0.0)
    w_new = clip(
        w
        + P["kappa_reciprocity"] * mutual * (1.0 - w)
        - P["kappa_withdrawal"] * w * (di + dj) / 2.0
        - P["kappa_decay"] * w
        + a_w * (1.0 - w)
    )
    q_new = clip(q + a_q * (1.0 - q), -1.0, 1.0)
    return w_new, q_new


def floor_and_dissolve(world: World, P: Dict[str, float]) -> None:
    """Family ties never fall below w_floor_family; other natural ties with w < w_min dissolve."""
    kept = []
    for e in world.ties:
        if e.natural:
            if e.type == "family":
                e.w = max(e.w, P["w_floor_family"])
            elif e.w < P["w_min"]:
                continue  # dissolved
        kept.append(e)
    world.ties = kept


# ---------------------------------------------------------------------------------------------
# 3.5 Recovery
# ---------------------------------------------------------------------------------------------


def update_recovery(ag: Agent, t_next: int, P: Dict[str, float]) -> None:
    ag.streak = ag.streak + 1 if ag.d < P["d_rec"] else 0
    if ag.recovered_week is None and ag.streak >= P["rec_weeks"]:
        ag.recovered_week = t_next


# ---------------------------------------------------------------------------------------------
# Section 2: the schedule
# ---------------------------------------------------------------------------------------------

VARIABLES = ("distress", "agency", "knowledge", "strengths", "recreation",
             "help_received", "help_given", "strain")


@dataclass
class Result:
    weeks: int
    rows: Dict[str, List[List[float]]]  # variable -> per row a list over agents existing then
    agents: List[Agent]
    final_ties: List[Tie]
    n_initial: int = 0

    def arrays(self) -> Dict[str, np.ndarray]:
        n = len(self.agents)
        out = {}
        for var in VARIABLES:
            arr = np.full((self.weeks + 1, n), np.nan)
            for w, row in enumerate(self.rows[var]):
                arr[w, : len(row)] = row
            out[var] = arr
        return out


def week_step(world: World, enrolments: List[Enrolment], t: int, fl: Flows,
              ex: List[Exposure], P: Dict[str, float]) -> None:
    """Step 4: agents and natural ties from the state and flows at t, then dissolve
    (no formation: phi = 0), then t <- t+1 and the recovery streak."""
    new_states = [update_agent(ag, fl.H[i], fl.G[i], fl.X[i], fl.Kin[i], ex[i], P)
                  for i, ag in enumerate(world.agents)]
    new_ties = [update_natural_tie(world, e, activation_rates(world, enrolments, e, t), P)
                if e.natural else None for e in world.ties]
    for ag, (d, a, k, s, r) in zip(world.agents, new_states):
        ag.d, ag.a, ag.k, ag.s, ag.r = d, a, k, s, r
    for e, wq in zip(world.ties, new_ties):
        if wq is not None:
            e.w, e.q = wq
    floor_and_dissolve(world, P)
    for ag in world.agents:
        update_recovery(ag, t + 1, P)


def simulate(world: World, enrolments: List[Enrolment], weeks: int, P: Dict[str, float]) -> Result:
    check_deterministic(P, enrolments)
    enrolments = sorted(enrolments, key=lambda e: e.index)
    n_initial = len(world.agents)
    rows: Dict[str, List[List[float]]] = {v: [] for v in VARIABLES}
    for t in range(weeks + 1):
        step1_deliveries(world, enrolments, t)
        ex = exposures(world, enrolments, t)
        fl = compute_flows(world, P)
        rows["distress"].append([ag.d for ag in world.agents])
        rows["agency"].append([ag.a for ag in world.agents])
        rows["knowledge"].append([ag.k for ag in world.agents])
        rows["strengths"].append([ag.s for ag in world.agents])
        rows["recreation"].append([ag.r for ag in world.agents])
        rows["help_received"].append(list(fl.H))
        rows["help_given"].append(list(fl.G))
        rows["strain"].append(list(fl.X))
        if t == weeks:
            break
        week_step(world, enrolments, t, fl, ex, P)
    return Result(weeks=weeks, rows=rows, agents=world.agents, final_ties=list(world.ties),
                  n_initial=n_initial)


def check_deterministic(P: Dict[str, float], enrolments: List[Enrolment]) -> None:
    for name in ("sigma", "p_event", "phi"):
        if P[name] != 0:
            raise ReferenceInputError(f"{name} = {P[name]}: the reference runs deterministic mode only "
                                 f"(set {name}: 0 in the scenario's parameters)")
    for enr in enrolments:
        for el in enr.program.delivery:
            if el.kind in ("volunteer", "peer_worker") and el.persist_probability not in (0.0, 1.0):
                raise ReferenceInputError(
                    f"program {enr.program.name} (arm {enr.arm}): persist_probability "
                    f"{el.persist_probability} is random; the reference needs 0 or 1")


# ---------------------------------------------------------------------------------------------
# Input: scenario, model and CSV files
# ---------------------------------------------------------------------------------------------

PROGRAM_FIELDS = ("reciprocity", "expertise", "resources", "duration_weeks", "start_week",
                  "valence", "strength", "group_strength", "caseload", "group_size",
                  "staff_per_group")
ARM_ONLY_OVERRIDES = ("persist_probability", "a_w", "a_q")


def _num(x, what: str, lo: float = None, hi: float = None) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ReferenceInputError(f"{what}: expected a number, found {x!r}")
    x = float(x)
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise ReferenceInputError(f"{what}: {x} outside [{lo}, {hi}]")
    return x


def _int(x, what: str, lo: int = None) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise ReferenceInputError(f"{what}: expected an integer, found {x!r}")
    if lo is not None and x < lo:
        raise ReferenceInputError(f"{what}: {x} < {lo}")
    return x


def parse_reciprocity(x, what: str) -> float:
    if isinstance(x, str):
        if x not in RECIPROCITY_WORDS:
            raise ReferenceInputError(f"{what}: unknown reciprocity {x!r}")
        return RECIPROCITY_WORDS[x]
    return _num(x, what, 0.0, 1.0)


def parse_expertise(x, what: str) -> str:
    if x not in EXPERTISE:
        raise ReferenceInputError(f"{what}: unknown expertise {x!r}")
    return x


def apply_program_field(prog: Program, key: str, val, what: str, partial_resources: bool) -> None:
    if key == "reciprocity":
        prog.reciprocity = parse_reciprocity(val, what)
    elif key == "expertise":
        prog.expertise = parse_expertise(val, what)
    elif key == "resources":
        if not isinstance(val, dict):
            raise ReferenceInputError(f"{what}: resources must be a map")
        if not partial_resources and set(val) != set(RESOURCES):
            raise ReferenceInputError(f"{what}: resources must list all six: {', '.join(RESOURCES)}")
        for rk, rv in val.items():
            if rk not in RESOURCES:
                raise ReferenceInputError(f"{what}: unknown resource {rk!r}")
            prog.resources[RESOURCES.index(rk)] = _num(rv, f"{what}.{rk}", 0.0, 1.0)
    elif key == "duration_weeks":
        prog.duration_weeks = _int(val, what, 1)
    elif key == "start_week":
        prog.start_week = _int(val, what, 0)
    elif key == "valence":
        prog.valence = _num(val, what, -1.0, 1.0)
    elif key in ("strength", "group_strength"):
        setattr(prog, key, _num(val, what, 0.0, 1.0))
    elif key in ("caseload", "group_size"):
        setattr(prog, key, _int(val, what, 1))
    elif key == "staff_per_group":
        prog.staff_per_group = _int(val, what, 0)
    else:
        raise ReferenceInputError(f"{what}: unknown program field")


def load_model(path: str) -> Program:
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        raise ReferenceInputError(f"{path}: a model file must be a map")
    stem = os.path.splitext(os.path.basename(path))[0]
    allowed = {"name", "title", "citation", "rationale", "relationship_types", "delivery"} | set(
        PROGRAM_FIELDS)
    for key in doc:
        if key not in allowed:
            raise ReferenceInputError(f"{path}: unknown key {key!r}")
    for key in ("name", "resources", "reciprocity", "expertise"):
        if key not in doc:
            raise ReferenceInputError(f"{path}: missing {key!r}")
    if doc["name"] != stem:
        raise ReferenceInputError(f"{path}: name {doc['name']!r} must equal the file stem {stem!r}")
    prog = Program(name=stem, resources=[0.0] * 6, reciprocity=1.0, expertise="none")
    for key in PROGRAM_FIELDS:
        if key in doc:
            apply_program_field(prog, key, doc[key], f"{path}: {key}", partial_resources=False)
    types = doc.get("relationship_types", []) or []
    for ty in types:
        if ty not in TIE_TYPES:
            raise ReferenceInputError(f"{path}: unknown relationship type {ty!r}")
    prog.relationship_types = tuple(types)
    for n, el in enumerate(doc.get("delivery", []) or []):
        what = f"{path}: delivery[{n}]"
        if not isinstance(el, dict) or el.get("element") not in ELEMENTS:
            raise ReferenceInputError(f"{what}: expected element: one of {ELEMENTS}")
        kind = el["element"]
        e = Element(kind=kind)
        okkeys = {"element"}
        if kind == "group":
            okkeys |= {"type"}
            e.type = el.get("type", "peer")
            if e.type not in TIE_TYPES:
                raise ReferenceInputError(f"{what}: unknown tie type {e.type!r}")
        if kind == "activate":
            okkeys |= {"types", "a_w", "a_q"}
            e.types = tuple(el.get("types", []) or [])
            if not e.types or any(ty not in TIE_TYPES for ty in e.types):
                raise ReferenceInputError(f"{what}: types must list at least one of {TIE_TYPES}")
            e.a_w = _num(el.get("a_w", 0.01), f"{what}.a_w", 0.0, 1.0)
            e.a_q = _num(el.get("a_q", 0.01), f"{what}.a_q", 0.0, 1.0)
        if kind in ("volunteer", "peer_worker"):
            okkeys |= {"persist_probability"}
            e.persist_probability = _num(el.get("persist_probability", 0.0),
                                         f"{what}.persist_probability", 0.0, 1.0)
        for key in el:
            if key not in okkeys:
                raise ReferenceInputError(f"{what}: key {key!r} not allowed on a {kind} element")
        prog.delivery.append(e)
    return prog


def resolve_model(ref: str, scenario_dir: str, models_dir: Optional[str]) -> str:
    """A catalogue name (NAME.yaml in --models-dir) or a path relative to the scenario."""
    if ref.endswith(".yaml") or "/" in ref:
        path = ref if os.path.isabs(ref) else os.path.join(scenario_dir, ref)
    else:
        path = os.path.join(models_dir or os.path.join(scenario_dir, "models"), ref + ".yaml")
    if not os.path.exists(path):
        raise ReferenceInputError(f"model {ref!r}: no file {path}")
    return path


def load_csv_population(agents_path: str, ties_path: str, arm_names: Sequence[str]) -> World:
    agents: List[Agent] = []
    with open(agents_path, newline="") as f:
        rd = csv.DictReader(f)
        need = ["id", "role", "d", "a", "k", "s", "r", "tau", "v", "arm"]
        if rd.fieldnames != need:
            raise ReferenceInputError(f"{agents_path}: header must be {','.join(need)}")
        for row in rd:
            role = row["role"]
            if role not in ROLES:
                raise ReferenceInputError(f"{agents_path}: unknown role {role!r}")
            arm = row["arm"].strip() or None
            if arm is not None:
                if role != "patient":
                    raise ReferenceInputError(f"{agents_path}: arm on non-patient {row['id']}")
                if arm not in arm_names:
                    raise ReferenceInputError(f"{agents_path}: unknown arm {arm!r}")
            vals = {c: float(row[c]) for c in ("d", "a", "k", "s", "r", "tau", "v")}
            agents.append(Agent(id=int(row["id"]), role=role, arm=arm, created_week=0, **vals))
    ties: List[Tie] = []
    with open(ties_path, newline="") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames != ["i", "j", "type", "w", "q"]:
            raise ReferenceInputError(f"{ties_path}: header must be i,j,type,w,q")
        for row in rd:
            i, j = int(row["i"]), int(row["j"])
            if row["type"] not in TIE_TYPES:
                raise ReferenceInputError(f"{ties_path}: unknown tie type {row['type']!r}")
            u, v = min(i, j), max(i, j)
            ties.append(Tie(u=u, v=v, type=row["type"], w=float(row["w"]), q=float(row["q"])))
    return World(agents, ties)


@dataclass
class Scenario:
    weeks: int
    parameters: Dict[str, float]
    world: World
    enrolments: List[Enrolment]


def load_scenario(path: str, models_dir: Optional[str] = None) -> Scenario:
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        raise ReferenceInputError(f"{path}: a scenario file must be a map")
    for key in doc:
        if key not in ("name", "description", "seed", "weeks", "replicates", "population",
                       "parameters", "arms", "output"):
            raise ReferenceInputError(f"{path}: unknown key {key!r}")
    sdir = os.path.dirname(os.path.abspath(path))
    weeks = _int(doc.get("weeks", 104), "weeks", 1)

    P = dict(DEFAULT_PARAMETERS)
    for name, val in (doc.get("parameters") or {}).items():
        if name not in P:
            raise ReferenceInputError(f"{path}: unknown parameter {name!r}")
        P[name] = _num(val, f"parameters.{name}")
    for name in ("sigma", "p_event", "phi"):
        if (doc.get("parameters") or {}).get(name) != 0:
            raise ReferenceInputError(f"{path}: parameters.{name} must be set to 0 (deterministic "
                                 f"mode is all the reference runs)")

    pop = doc.get("population") or {}
    if pop.get("generator") != "csv":
        raise ReferenceInputError(f"{path}: the reference reads only population: {{generator: csv}}")
    if set(pop) != {"generator", "agents", "ties"}:
        raise ReferenceInputError(f"{path}: a csv population has exactly generator, agents, ties")

    arms = doc.get("arms") or []
    if not arms:
        raise ReferenceInputError(f"{path}: at least one arm")
    arm_names = [a["name"] for a in arms]
    if len(set(arm_names)) != len(arm_names):
        raise ReferenceInputError(f"{path}: duplicate arm names")

    world = load_csv_population(os.path.join(sdir, pop["agents"]), os.path.join(sdir, pop["ties"]),
                                arm_names)

    pending = []  # (start_week, arm order, program order, arm name, program)
    n_control = 0
    for ai, arm in enumerate(arms):
        for key in arm:
            if key not in ("name", "control", "share", "count", "programs"):
                raise ReferenceInputError(f"{path}: arm {arm.get('name')}: unknown key {key!r}")
        if "share" in arm or "count" in arm:
            raise ReferenceInputError(f"{path}: arm {arm['name']}: share/count not allowed with a CSV "
                                 f"population (the arm column assigns patients)")
        is_control = arm.get("control", arm["name"] == "control")
        n_control += bool(is_control)
        progs = arm.get("programs") or []
        if is_control and progs:
            raise ReferenceInputError(f"{path}: the control arm receives no program")
        seen = set()
        for pi, entry in enumerate(progs):
            if isinstance(entry, str):
                ref, overrides = entry, {}
            else:
                entry = dict(entry)
                ref = entry.pop("model")
                overrides = entry
            prog = load_model(resolve_model(ref, sdir, models_dir))
            if prog.name in seen:
                raise ReferenceInputError(f"{path}: arm {arm['name']} lists {prog.name} twice")
            seen.add(prog.name)
            what = f"{path}: arm {arm['name']} program {prog.name}"
            for key, val in overrides.items():
                if key in PROGRAM_FIELDS:
                    apply_program_field(prog, key, val, f"{what}: {key}", partial_resources=True)
                elif key == "persist_probability":
                    p = _num(val, f"{what}: {key}", 0.0, 1.0)
                    for el in prog.delivery:
                        if el.kind in ("volunteer", "peer_worker"):
                            el.persist_probability = p
                elif key in ("a_w", "a_q"):
                    x = _num(val, f"{what}: {key}", 0.0, 1.0)
                    for el in prog.delivery:
                        if el.kind == "activate":
                            setattr(el, key, x)
                else:
                    raise ReferenceInputError(f"{what}: unknown override {key!r}")
            if not 0 <= prog.start_week <= weeks - 1:
                raise ReferenceInputError(f"{what}: start_week {prog.start_week} not in [0, {weeks - 1}]")
            pending.append((prog.start_week, ai, pi, arm["name"], prog))
    if n_control > 1:
        raise ReferenceInputError(f"{path}: at most one control arm")
    pending.sort(key=lambda x: x[:3])  # creation order: start week, arm order, program order
    enrolments = [Enrolment(index=n, arm=arm, program=prog, t0=t0, t1=t0 + prog.duration_weeks)
                  for n, (t0, _, _, arm, prog) in enumerate(pending)]
    return Scenario(weeks=weeks, parameters=P, world=world, enrolments=enrolments)


def run_scenario(path: str, models_dir: Optional[str] = None) -> Result:
    sc = load_scenario(path, models_dir)
    return simulate(sc.world, sc.enrolments, sc.weeks, sc.parameters)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def save_npz(res: Result, out: str) -> None:
    arrs = res.arrays()
    ties = sorted(res.final_ties, key=lambda e: (e.u, e.v, -1 if e.enrolment is None else e.enrolment))
    np.savez(
        out,
        week=np.arange(res.weeks + 1),
        agent_id=np.arange(len(res.agents)),
        role=np.array([ag.role for ag in res.agents]),
        arm=np.array([ag.arm or "" for ag in res.agents]),
        created_week=np.array([ag.created_week for ag in res.agents]),
        recovered_week=np.array([-1 if ag.recovered_week is None else ag.recovered_week
                                 for ag in res.agents]),
        tie_u=np.array([e.u for e in ties], dtype=np.int64),
        tie_v=np.array([e.v for e in ties], dtype=np.int64),
        tie_type=np.array([e.type for e in ties]),
        tie_w=np.array([e.w for e in ties]),
        tie_q=np.array([e.q for e in ties]),
        tie_natural=np.array([e.natural for e in ties]),
        tie_enrolment=np.array([-1 if e.enrolment is None else e.enrolment for e in ties]),
        **arrs,
    )


def summary(res: Result) -> str:
    arrs = res.arrays()
    n = len(res.agents)
    lines = [f"weeks 0..{res.weeks}; {n} agents at the end ({res.n_initial} from the CSV, "
             f"{n - res.n_initial} created by programs)"]
    pats = [ag.id for ag in res.agents if ag.role == "patient"]
    step = max(1, res.weeks // 6)
    shown = sorted(set(list(range(0, res.weeks + 1, step)) + [res.weeks]))
    lines.append("week  agents  patients: mean d    mean a    mean k    mean H    mean X")
    for w in shown:
        alive = int(np.sum(~np.isnan(arrs["distress"][w])))
        lines.append(f"{w:4d}  {alive:6d}  {np.mean(arrs['distress'][w, pats]):15.6f}"
                     f"{np.mean(arrs['agency'][w, pats]):10.6f}"
                     f"{np.mean(arrs['knowledge'][w, pats]):10.6f}"
                     f"{np.mean(arrs['help_received'][w, pats]):10.6f}"
                     f"{np.mean(arrs['strain'][w, pats]):10.6f}")
    nat = sum(e.natural for e in res.final_ties)
    lines.append(f"final ties (week {res.weeks}): {len(res.final_ties)} "
                 f"({nat} natural, {len(res.final_ties) - nat} program)")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--models-dir", default=None)
    ap.add_argument("-o", "--output", required=True, help="output .npz")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        res = run_scenario(args.scenario, args.models_dir)
    except ReferenceInputError as exc:
        print(f"kindred_reference: error: {exc}", file=sys.stderr)
        return 2
    save_npz(res, args.output)
    if not args.quiet:
        print(summary(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
