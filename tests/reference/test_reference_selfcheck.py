#!/usr/bin/python3
"""Plain-python checks of the reference implementation against hand-computed values.

Every expected value below is written out from the spec formulas (MODEL.md 3.1-3.3, 4) with the
numbers of the case, independently of the code paths in kindred_reference.py.

Run:  /usr/bin/python3 tests/reference/test_reference_selfcheck.py
Prints "N passed, 0 failed" and exits non-zero on any failure.
"""

import math
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import kindred_reference as K  # noqa: E402

TOL = 1e-12
RESULTS = {"passed": 0, "failed": 0}


def params(**over):
    P = dict(K.DEFAULT_PARAMETERS)
    P.update(sigma=0.0, p_event=0.0, phi=0.0)
    P.update(over)
    return P


def close(name, got, want, tol=TOL):
    if not (abs(got - want) <= tol):
        raise AssertionError(f"{name}: got {got!r}, want {want!r} (diff {got - want:.3e})")


def case(fn):
    try:
        fn()
    except Exception:  # noqa: BLE001 - report every kind of failure
        RESULTS["failed"] += 1
        print(f"FAIL {fn.__name__}")
        traceback.print_exc()
    else:
        RESULTS["passed"] += 1
        print(f"ok   {fn.__name__}")
    return fn


def two_agents(tie_type="friend", w=0.4, q=0.6):
    p = K.Agent(id=0, role="patient", d=0.7, a=0.3, k=0.2, s=0.4, r=0.3, tau=0.5, v=0.6)
    f = K.Agent(id=1, role="friend", d=0.2, a=0.6, k=0.0, s=0.6, r=0.5, tau=0.5, v=0.1)
    return K.World([p, f], [K.Tie(u=0, v=1, type=tie_type, w=w, q=q)])


@case
def one_friend_tie_one_week():
    P = params()
    res = K.simulate(two_agents(), [], 1, P)
    arr = res.arrays()
    # 3.1: h(u->v) = w q+ (1 - d_u) R(u) P(u), R = P = 1 on a natural friend tie
    h_10 = 0.4 * 0.6 * (1 - 0.2)  # friend -> patient = 0.192
    h_01 = 0.4 * 0.6 * (1 - 0.7)  # patient -> friend = 0.072
    H0, G0, H1, G1 = h_10, h_01, h_01, h_10
    close("H0", arr["help_received"][0, 0], H0)
    close("G0", arr["help_given"][0, 0], G0)
    close("H1", arr["help_received"][0, 1], H1)
    close("G1", arr["help_given"][0, 1], G1)
    close("X0", arr["strain"][0, 0], 0.0)
    # 3.2 for the patient (no enrolment: m = 0, Es = Ep = 0)
    relief0 = (0.004 + 0.01 * H0 + 0.015 * 0.3 + 0.01 * 0 * 0.2 + 0.006 * 0.4 + 0.006 * 0.3) * (1 + 0)
    stress0 = 0.002 + 0.03 * 0.6 + 0.01 * 0 + 0.03 * math.exp(-H0 / 0.5)
    d0 = 0.7 - relief0 * 0.7 + stress0 * (1 - 0.7)
    a0 = 0.3 + (0.01 * G0 + 0) * (1 - 0.3) - (0 + 0.019 * 0.7) * 0.3 + 0.01 * (0.3 - 0.3)
    s0 = 0.4 + 0 - 0.019 * 0.7 * 0.4 + 0
    r0 = 0.3 + 0 - 0.019 * 0.7 * 0.3 + 0
    close("d0'", arr["distress"][1, 0], d0)
    close("a0'", arr["agency"][1, 0], a0)
    close("k0'", arr["knowledge"][1, 0], 0.2)
    close("s0'", arr["strengths"][1, 0], s0)
    close("r0'", arr["recreation"][1, 0], r0)
    # and the friend
    relief1 = 0.004 + 0.01 * H1 + 0.015 * 0.6 + 0 + 0.006 * 0.6 + 0.006 * 0.5
    stress1 = 0.002 + 0.03 * 0.1 + 0 + 0.03 * math.exp(-H1 / 0.5)
    close("d1'", arr["distress"][1, 1], 0.2 - relief1 * 0.2 + stress1 * 0.8)
    # 3.3: mutual = min(h01, h10) / w; w' = w + kR mutual (1-w) - kW w (di+dj)/2 - k0 w
    mutual = min(h_01, h_10) / 0.4
    w1 = 0.4 + 0.01 * mutual * (1 - 0.4) - 0.01 * 0.4 * (0.7 + 0.2) / 2 - 0.002 * 0.4
    (tie,) = res.final_ties
    close("w'", tie.w, w1)
    close("q'", tie.q, 0.6)
    # row 1 flows are computed from the week-1 state
    h_10b = w1 * 0.6 * (1 - arr["distress"][1, 1])
    close("H0 row 1", arr["help_received"][1, 0], h_10b)


@case
def hostile_family_tie_strain_and_floor():
    P = params()
    world = two_agents(tie_type="family", w=0.2, q=-0.4)
    res = K.simulate(world, [], 1, P)
    arr = res.arrays()
    # q+ = 0: no help; X = w q- = 0.2 * 0.4
    close("H0", arr["help_received"][0, 0], 0.0)
    close("X0", arr["strain"][0, 0], 0.2 * 0.4)
    close("X1", arr["strain"][0, 1], 0.2 * 0.4)
    stress0 = 0.002 + 0.03 * 0.6 + 0.01 * 0.08 + 0.03 * math.exp(0.0)
    relief0 = 0.004 + 0 + 0.015 * 0.3 + 0 + 0.006 * 0.4 + 0.006 * 0.3
    close("d0'", arr["distress"][1, 0], 0.7 - relief0 * 0.7 + stress0 * 0.3)
    # w' = 0.2 - 0.01*0.2*0.45 - 0.002*0.2 < 0.2: the family floor holds it at w_floor_family
    (tie,) = res.final_ties
    close("w' floored", tie.w, 0.2)


@case
def weak_friend_tie_dissolves():
    P = params()
    res = K.simulate(two_agents(w=0.05, q=0.0), [], 1, P)
    # w' = 0.05 - 0.01*0.05*0.45 - 0.002*0.05 < w_min = 0.05: dissolved
    assert res.final_ties == [], res.final_ties
    # before it dissolved it carried no help (q = 0): H = 0 in row 0, and in row 1 too
    close("H0", res.arrays()["help_received"][1, 0], 0.0)


@case
def peer_tie_beta_peer():
    P = params()
    world = two_agents(tie_type="peer", w=0.3, q=0.5)
    res = K.simulate(world, [], 0, P)
    arr = res.arrays()
    # P(u) = 1 + beta_peer k_u on a peer tie
    close("H0", arr["help_received"][0, 0], 0.3 * 0.5 * (1 - 0.2) * (1 + 1.0 * 0.0))
    close("H1", arr["help_received"][0, 1], 0.3 * 0.5 * (1 - 0.7) * (1 + 1.0 * 0.2))


def peer_program(**over):
    prog = K.Program(name="p", resources=[1, 0, 1, 0, 0, 0], reciprocity=0.5, expertise="peers",
                     duration_weeks=2, valence=0.8, strength=0.3, caseload=1,
                     delivery=[K.Element(kind="peer_worker", persist_probability=1.0)])
    for k, v in over.items():
        setattr(prog, k, v)
    return prog


@case
def peer_worker_delivery_reciprocity_and_knowledge():
    P = params()
    p = K.Agent(id=0, role="patient", d=0.7, a=0.3, k=0.2, s=0.4, r=0.3, tau=0.5, v=0.6, arm="A")
    world = K.World([p], [])
    enr = K.Enrolment(index=0, arm="A", program=peer_program(), t0=1, t1=3)
    res = K.simulate(world, [enr], 4, P)
    arr = res.arrays()
    # the peer worker is created at week 1: NaN in row 0, spec start state in row 1
    assert np.isnan(arr["distress"][0, 1]) and not np.isnan(arr["distress"][1, 1])
    close("pw d", arr["distress"][1, 1], 0.2)
    close("pw k", arr["knowledge"][1, 1], 0.8)
    d_p, k_p = arr["distress"][1, 0], arr["knowledge"][1, 0]
    # tie w = strength * m_soc = 0.3, q = valence = 0.8, rho = 0.5, client = patient, type peer
    h_pw_p = 0.3 * 0.8 * (1 - 0.2) * 1.0 * (1 + 0.8)  # R(pw) = 1
    h_p_pw = 0.3 * 0.8 * (1 - d_p) * 0.5 * (1 + k_p)  # R(client) = rho
    close("H patient", arr["help_received"][1, 0], h_pw_p)
    close("G patient", arr["help_given"][1, 0], h_p_pw)
    close("H pw", arr["help_received"][1, 1], h_p_pw)
    # expertise peers: Kin_patient = w (k_pw - k_p)+; m_exp = 1
    kin = 0.3 * (0.8 - k_p)
    close("k patient'", arr["knowledge"][2, 0], k_p + (0.05 * kin + 0.02 * 1) * (1 - k_p))
    # the peer worker learns nothing (k_p < k_pw) and has no enrolment
    close("k pw'", arr["knowledge"][2, 1], 0.8)
    # at t1 = 3 the tie converts (persist 1): natural, rho 1, expertise none, same w and q
    (tie,) = [e for e in res.final_ties]
    assert tie.natural and tie.rho == 1.0 and tie.expertise == "none" and tie.client is None
    assert tie.type == "peer"
    # row 3: flows from the converted tie (no client damping any more)
    d_p3, k_p3 = arr["distress"][3, 0], arr["knowledge"][3, 0]
    close("G patient row 3", arr["help_given"][3, 0], 0.3 * 0.8 * (1 - d_p3) * 1.0 * (1 + k_p3))
    # and in week 3 it takes part in the natural-tie dynamics, so w changes by row 4
    assert abs(tie.w - 0.3) > 1e-6


@case
def conversion_collides_with_natural_tie():
    P = params()
    pa = K.Agent(id=0, role="patient", d=0.7, a=0.3, k=0.2, s=0.4, r=0.3, tau=0.5, v=0.6, arm="A")
    pb = K.Agent(id=1, role="patient", d=0.6, a=0.3, k=0.2, s=0.4, r=0.3, tau=0.5, v=0.6, arm="A")
    pc = K.Agent(id=2, role="patient", d=0.6, a=0.3, k=0.2, s=0.4, r=0.3, tau=0.5, v=0.6, arm="A")
    world = K.World([pa, pb, pc], [K.Tie(u=0, v=1, type="friend", w=0.5, q=0.5)])
    prog = K.Program(name="g", resources=[1, 0, 0, 0, 0, 0], reciprocity=1.0, expertise="none",
                     duration_weeks=1, group_size=8, group_strength=0.1,
                     delivery=[K.Element(kind="group", type="peer")])
    enr = K.Enrolment(index=0, arm="A", program=prog, t0=0, t1=1)
    res = K.simulate(world, [enr], 1, P)
    pairs = sorted((e.u, e.v, e.type, e.natural) for e in res.final_ties)
    # 0-1 keeps only its natural friend tie; 0-2 and 1-2 group ties become natural peer ties
    assert pairs == [(0, 1, "friend", True), (0, 2, "peer", True), (1, 2, "peer", True)], pairs
    # the converted ties keep w = group_strength * m_soc = 0.1 at the week they convert (row 1)
    for e in res.final_ties:
        if e.type == "peer":
            close("converted w", e.w, 0.1)


@case
def activation_max_rates_separately():
    P = params()
    p = K.Agent(id=0, role="patient", d=0.7, a=0.3, k=0.2, s=0.4, r=0.3, tau=0.5, v=0.6, arm="A")
    f = K.Agent(id=1, role="family", d=0.2, a=0.6, k=0.0, s=0.6, r=0.5, tau=0.5, v=0.1)
    world = K.World([p, f], [K.Tie(u=0, v=1, type="family", w=0.5, q=-0.2)])
    prog1 = K.Program(name="x", resources=[1, 0, 0, 0, 0, 0], reciprocity=1.0, expertise="none",
                      duration_weeks=5,
                      delivery=[K.Element(kind="activate", types=("family",), a_w=0.05, a_q=0.01)])
    prog2 = K.Program(name="y", resources=[0.5, 0, 0, 0, 0, 0], reciprocity=1.0, expertise="none",
                      duration_weeks=5,
                      delivery=[K.Element(kind="activate", types=("family",), a_w=0.02, a_q=0.1)])
    enrs = [K.Enrolment(index=0, arm="A", program=prog1, t0=0, t1=5),
            K.Enrolment(index=1, arm="A", program=prog2, t0=0, t1=5)]
    res = K.simulate(world, enrs, 1, P)
    a_w = max(0.05 * 1.0, 0.02 * 0.5)  # 0.05
    a_q = max(0.01 * 1.0, 0.1 * 0.5)  # 0.05
    # q = -0.2 < 0: no help either way, mutual = 0
    w1 = 0.5 + 0 - 0.01 * 0.5 * (0.7 + 0.2) / 2 - 0.002 * 0.5 + a_w * (1 - 0.5)
    q1 = -0.2 + a_q * (1 - (-0.2))
    (tie,) = res.final_ties
    close("w'", tie.w, w1)
    close("q'", tie.q, q1)


@case
def exposure_resources_and_expertise_counts():
    P = params()
    p = K.Agent(id=0, role="patient", d=0.5, a=0.4, k=0.3, s=0.4, r=0.3, tau=0.6, v=0.5, arm="A")
    world = K.World([p], [])
    progA = K.Program(name="a", resources=[0, 1, 0, 0.5, 0, 1], reciprocity=1.0,
                      expertise="provider", duration_weeks=3)
    progB = K.Program(name="b", resources=[0, 0.5, 1, 1, 1, 0], reciprocity=1.0,
                      expertise="everyone", duration_weeks=3)
    enrs = [K.Enrolment(index=0, arm="A", program=progA, t0=0, t1=3),
            K.Enrolment(index=1, arm="A", program=progB, t0=0, t1=3)]
    res = K.simulate(world, enrs, 1, P)
    arr = res.arrays()
    m = [0, 1, 1, 1, 1, 1]  # element-wise max
    Es, Ep = 1, 1
    H, G, X = 0.0, 0.0, 0.0
    relief = (0.004 + 0 + 0.015 * 0.4 + 0.01 * m[2] * 0.3 + 0.006 * 0.4 + 0.006 * 0.3) * (
        1 + 0.5 * m[5] * 0.6)
    stress = 0.002 + 0.03 * 0.5 + 0.01 * X + 0.03 * math.exp(-H / 0.5)
    close("d'", arr["distress"][1, 0], 0.5 - relief * 0.5 + stress * 0.5)
    a1 = 0.4 + (0.01 * G + 0.006 * Es + 0.004 * m[1]) * 0.6 - (0.01 * Ep + 0.019 * 0.5) * 0.4 + 0
    close("a'", arr["agency"][1, 0], a1)
    close("k'", arr["knowledge"][1, 0], 0.3 + (0 + 0.02 * m[2]) * 0.7)
    close("s'", arr["strengths"][1, 0], 0.4 + 0.05 * m[3] * 0.6 - 0.019 * 0.5 * 0.4)
    close("r'", arr["recreation"][1, 0], 0.3 + 0.05 * m[4] * 0.7 - 0.019 * 0.5 * 0.3)


@case
def clip_at_zero():
    P = params(beta_0=3.0)
    res = K.simulate(two_agents(), [], 1, P)
    # d - Relief d + Stress (1-d) < 0 with Relief > 3: clipped to 0
    close("d' clipped", res.arrays()["distress"][1, 0], 0.0)


@case
def delivery_ids_and_caseload():
    P = params()
    agents = [K.Agent(id=i, role="patient", d=0.5, a=0.4, k=0.3, s=0.4, r=0.3, tau=0.6, v=0.5,
                      arm="A" if i != 2 else "B") for i in range(6)]
    world = K.World(agents, [])
    prog = K.Program(name="pro", resources=[0.5, 0, 0, 0, 0, 0], reciprocity=0.0,
                     expertise="provider", duration_weeks=4, caseload=2, group_size=3,
                     staff_per_group=2, strength=0.4,
                     delivery=[K.Element(kind="professional"), K.Element(kind="staff")])
    vol = K.Program(name="vol", resources=[1, 0, 0, 0, 0, 0], reciprocity=1.0, expertise="none",
                    duration_weeks=4, delivery=[K.Element(kind="volunteer")])
    enrs = [K.Enrolment(index=0, arm="A", program=prog, t0=0, t1=4),
            K.Enrolment(index=1, arm="B", program=vol, t0=0, t1=4)]
    res = K.simulate(world, enrs, 1, P)
    roles = [a.role for a in res.agents]
    # arm A = patients 0,1,3,4,5: ceil(5/2) = 3 professionals (6,7,8), then chunks [0,1,3],[4,5]
    # with 2 staff each (9,10 and 11,12); then arm B's volunteer (13)
    assert roles[6:] == ["professional"] * 7 + ["volunteer"], roles
    prof = sorted((e.u, e.v) for e in res.final_ties if e.enrolment == 0)
    want = sorted([(0, 6), (1, 6), (3, 7), (4, 7), (5, 8)]
                  + [(p, s) for s in (9, 10) for p in (0, 1, 3)]
                  + [(p, s) for s in (11, 12) for p in (4, 5)])
    assert prof == want, prof
    for e in res.final_ties:
        if e.enrolment == 0:
            close("w = strength m_soc", e.w, 0.2)
            assert e.type == "professional" and e.client == e.u and e.rho == 0.0
    (vt,) = [e for e in res.final_ties if e.enrolment == 1]
    assert (vt.u, vt.v, vt.type, vt.client, vt.provider) == (2, 13, "friend", 2, 13)


@case
def refuses_non_deterministic():
    for name in ("sigma", "p_event", "phi"):
        try:
            K.simulate(two_agents(), [], 1, params(**{name: 0.01}))
        except K.ReferenceInputError:
            pass
        else:
            raise AssertionError(f"{name} != 0 accepted")
    prog = peer_program(delivery=[K.Element(kind="peer_worker", persist_probability=0.5)])
    try:
        K.simulate(two_agents(), [K.Enrolment(index=0, arm="A", program=prog, t0=0, t1=2)], 1,
                   params())
    except K.ReferenceInputError:
        pass
    else:
        raise AssertionError("persist_probability 0.5 accepted")


@case
def fixture_runs():
    root = os.path.normpath(os.path.join(HERE, "..", "data", "deterministic"))
    res = K.run_scenario(os.path.join(root, "scenario.yaml"), os.path.join(root, "models"))
    arr = res.arrays()
    assert arr["distress"].shape == (31, len(res.agents))
    for ag in res.agents:
        col = arr["distress"][:, ag.id]
        assert np.all(np.isnan(col[: ag.created_week])), ag
        assert not np.any(np.isnan(col[ag.created_week:])), ag
    print("     fixture:\n" + "\n".join("       " + l for l in K.summary(res).splitlines()))


if __name__ == "__main__":
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)
