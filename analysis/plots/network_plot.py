"""A small world before and after a program, from a trial file's tie snapshots: the ego
networks of a few treated and control patients, nodes coloured by distress, edges coloured by
relationship type, drawn dashed when critical or hostile (valence q < 0) and as thick as
they are strong (w). The layout is the same in every panel."""
import os

import h5py
import numpy as np

import common
from common import plt

TREATED_PATIENTS = 2
CONTROL_PATIENTS = 1


def spring_layout(nodes, edges, seed=1, iterations=300):
    """Fruchterman–Reingold positions in [0,1]² (deterministic for a seed)."""
    index = {node: k for k, node in enumerate(nodes)}
    n = len(nodes)
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    if n < 2:
        return {node: pos[index[node]] for node in nodes}
    k = 1.0 / np.sqrt(n)
    pairs = np.array([(index[u], index[v]) for u, v in edges if u in index and v in index],
                     dtype=int).reshape(-1, 2)
    temperature = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=2), 1e-4)
        force = (k * k / distance ** 2)[:, :, None] * delta  # repulsion
        displacement = force.sum(axis=1)
        if len(pairs):
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            dist = np.maximum(np.linalg.norm(d, axis=1), 1e-4)[:, None]
            pull = d * dist / k
            np.add.at(displacement, pairs[:, 0], -pull)
            np.add.at(displacement, pairs[:, 1], pull)
        length = np.maximum(np.linalg.norm(displacement, axis=1), 1e-9)[:, None]
        pos += displacement / length * np.minimum(length, temperature)
        temperature *= 0.985
    pos -= pos.min(axis=0)
    pos /= np.maximum(pos.max(axis=0), 1e-9)
    return {node: pos[index[node]] for node in nodes}


def read_snapshot(replicate, week):
    g = replicate["ties"][f"week_{week:04d}"]
    type_names = list(g["type"].attrs["names"])
    type_names = [t.decode() if isinstance(t, bytes) else t for t in type_names]
    return {"u": g["u"][()], "v": g["v"][()], "type": [type_names[t] for t in g["type"][()]],
            "w": g["w"][()], "q": g["q"][()], "enrolment": g["enrolment"][()]}


def network(source, out, manifest):
    with h5py.File(source, "r") as f:
        arms = list(f["arms/name"].asstr()[()])
        control_flags = f["arms/control"][()]
        control = next((k for k, c in enumerate(control_flags) if c), None)
        replicate = f["replicate_000"]
        weeks = sorted(int(k[5:]) for k in replicate.get("ties", {}).keys())
        if len(weeks) < 2:
            manifest.skip("network picture", "needs tie snapshots at two weeks or more "
                          "(output: tie_snapshots: [0, …] in the scenario)")
            return
        starts = f["arms/enrolments/start_week"][()] if "arms/enrolments/arm" in f else []
        ends = f["arms/enrolments/end_week"][()] if "arms/enrolments/arm" in f else []
        enrolment_arms = f["arms/enrolments/arm"][()] if "arms/enrolments/arm" in f else []
        programs = list(f["arms/enrolments/program"].asstr()[()]) if len(starts) else []
        if not len(starts):
            manifest.skip("network picture", "the trial has no program")
            return
        treated_arm = int(enrolment_arms[0])
        start, end = int(min(starts)), int(max(ends))
        before = max([w for w in weeks if w <= start], default=weeks[0])
        after_candidates = [w for w in weeks if w >= end and w > before]
        after = after_candidates[0] if after_candidates else weeks[-1]
        if after == before:
            manifest.skip("network picture", "no tie snapshot after the first one")
            return
        panel_weeks = [before, after]
        inside = [w for w in weeks if before < w < after]
        if inside and end > start + 1:
            panel_weeks = [before, inside[len(inside) // 2], after]
        snapshots = {w: read_snapshot(replicate, w) for w in panel_weeks}

        patients = replicate["patients"]
        ids, patient_arms = patients["id"][()], patients["arm"][()]
        chosen = list(ids[patient_arms == treated_arm][:TREATED_PATIENTS])
        treated = set(int(c) for c in chosen)
        if control is not None:
            chosen += list(ids[patient_arms == control][:CONTROL_PATIENTS])
        chosen = [int(c) for c in chosen]
        # The small world: the chosen patients and everyone tied to them in any panel.
        nodes = set(chosen)
        for s in snapshots.values():
            for u, v in zip(s["u"], s["v"]):
                if u in chosen or v in chosen:
                    nodes.update((int(u), int(v)))
        nodes = sorted(nodes)
        node_set = set(nodes)
        union_edges = set()
        for s in snapshots.values():
            for u, v in zip(s["u"], s["v"]):
                if int(u) in node_set and int(v) in node_set:
                    union_edges.add((int(u), int(v)))
        pos = spring_layout(nodes, sorted(union_edges))

        # Distress and roles from the trajectories, where the agents were recorded.
        distress = {w: {} for w in panel_weeks}
        roles = {}
        if "trajectories" in replicate:
            t = replicate["trajectories"]
            traj_weeks = list(t["week"][()])
            agent_ids = t["agent_id"][()]
            role_names = [r.decode() if isinstance(r, bytes) else r
                          for r in t["role"].attrs["names"]]
            column = {int(a): j for j, a in enumerate(agent_ids)}
            for node in nodes:
                if node in column:
                    roles[node] = role_names[t["role"][column[node]]]
            for w in panel_weeks:
                if w in traj_weeks:
                    row = t["distress"][traj_weeks.index(w), :]
                    for node in nodes:
                        if node in column:
                            distress[w][node] = row[column[node]]

    fig, axes = plt.subplots(1, len(panel_weeks), figsize=(5.6 * len(panel_weeks), 6))
    fig.subplots_adjust(left=0.02, right=0.9, bottom=0.14, top=0.88, wspace=0.05)
    cmap = plt.get_cmap("RdYlGn_r")
    for ax, w in zip(np.atleast_1d(axes), panel_weeks):
        s = snapshots[w]
        for u, v, kind, weight, valence, enrolment in zip(s["u"], s["v"], s["type"], s["w"],
                                                          s["q"], s["enrolment"]):
            u, v = int(u), int(v)
            if u not in node_set or v not in node_set:
                continue
            ax.plot([pos[u][0], pos[v][0]], [pos[u][1], pos[v][1]],
                    color=common.TIE_COLOURS.get(kind, "#999999"),
                    lw=0.6 + 4.0 * float(weight), ls="--" if valence < 0 else "-",
                    alpha=0.9 if enrolment >= 0 else 0.7, zorder=1)
        for node in nodes:
            value = distress[w].get(node, np.nan)
            colour = cmap(float(value)) if np.isfinite(value) else "#dddddd"
            is_patient = roles.get(node) == "patient" or node in chosen
            marker = "o" if is_patient else ("s" if roles.get(node) in (
                "professional", "volunteer", "peer_worker") else "o")
            ax.scatter(pos[node][0], pos[node][1], s=220 if node in chosen else
                       (110 if is_patient else 60), c=[colour], marker=marker,
                       edgecolors="black" if node in chosen else "#555555",
                       linewidths=2.0 if node in chosen else 0.6, zorder=2)
        for node in chosen:
            ax.annotate("treated" if node in treated else "control", pos[node],
                        xytext=(8, 8), textcoords="offset points", fontsize=8,
                        fontweight="bold")
        if w == before:
            label = "the program starts" if w == start else "before the program"
        else:
            label = "after the program" if w == after else "during the program"
        ax.set_title(f"week {w}: {label}", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlim(-0.08, 1.08)
        ax.set_ylim(-0.08, 1.08)
    handles = [plt.Line2D([], [], color=c, lw=2.5, label=t) for t, c in common.TIE_COLOURS.items()]
    handles.append(plt.Line2D([], [], color="#444444", lw=1.5, ls="--",
                              label="critical / hostile (q < 0)"))
    handles.append(plt.Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=2, ms=10,
                              label="chosen patients"))
    handles.append(plt.Line2D([], [], marker="s", ls="", mfc="white", mec="#555555", ms=7,
                              label="staff, volunteer, peer worker"))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    colourbar = fig.colorbar(mappable, cax=fig.add_axes([0.92, 0.25, 0.015, 0.55]))
    colourbar.set_label("distress (grey: not recorded)")
    fig.suptitle(f"A small world: {TREATED_PATIENTS} patients of arm '{arms[treated_arm]}' "
                 f"({programs[0]}) and {CONTROL_PATIENTS if control is not None else 0} of the "
                 "control arm, with everyone tied to them", fontsize=11)
    common.save(fig, os.path.join(out, "network.png"))
    manifest.add("network.png", "A small world before and after a program",
                 f"The ego networks of the first {TREATED_PATIENTS} patients of arm "
                 f"'{arms[treated_arm]}' and the first {CONTROL_PATIENTS} control patient "
                 f"(thick outlines), replicate 0, at the tie snapshots of weeks "
                 f"{', '.join(map(str, panel_weeks))}. Nodes are coloured by distress (green "
                 "low, red high); edges by relationship type, as thick as their strength w, "
                 "dashed when critical or hostile (q < 0). Program ties (volunteer, group, "
                 "staff) exist only while the program runs unless they persist. The week-0 "
                 "picture already holds the ties the program delivered at its start.")
