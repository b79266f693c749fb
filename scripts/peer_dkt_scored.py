#!/usr/bin/env python3
"""The PyTorch DKT peer, trained exactly as its own script trains it, scored both ways.

`peer_dkt_scored.py PEER FIT SEL TEST [--epochs 20]` imports the peer
(`../shared/peers/peer_dkt_pid_torch.py`, unchanged: its reader, windows, tensors and model) and
runs its `main()`'s training loop step for step (the same seed, thread count, initialisation
order and per-epoch permutation), so its per-epoch AUC on a file equals what the peer prints for
that file (bench-dkt.sh checks this against the peer's own runs). Each epoch it scores SEL and
TEST the peer's way (non-overlapping windows, each from a zero state, each window's first step
left out) and keeps the weights; at the end, the epoch with the best SEL AUC is scored on TEST
again as the dashboard predicts (`classlens eval dkt --scoring deployed`): every step but a
student's first, read from the window of steps before it. Prints one JSON line per epoch, then
one with the chosen epoch's scores.
"""
import argparse, copy, importlib.util, json, time
import numpy as np, torch
from sklearn.metrics import roc_auc_score


def load_peer(path):
    spec = importlib.util.spec_from_file_location("peer", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def deployed_pieces(seqs, w):
    """(steps, last_only) per piece: a student's first w + 1 steps, then each later step with
    the w steps before it (only that step scored)."""
    out = []
    for s in seqs:
        if len(s) >= 2:
            out.append((s[:w + 1], False))
        out.extend((s[e - w:e + 1], True) for e in range(w + 1, len(s)))
    return out


def score(peer, model, pieces, length, ns, chunk=2048):
    """AUC and scored steps of `pieces` ((steps, last_only)) read `length` steps at a time."""
    ps, ys = [], []
    model.eval()
    with torch.no_grad():
        for k in range(0, len(pieces), chunk):
            part = pieces[k:k + chunk]
            x, xm, tq, tm, y, m = peer.tensors([p for p, _ in part], length, ns)
            for i, (p, last_only) in enumerate(part):
                if last_only:
                    m[i] = 0
                    m[i, len(p) - 2] = 1
            p = model(x, xm, tq, tm)
            mk = m.bool()
            ps.append(p[mk].numpy())
            ys.append(y[mk].numpy())
    p, y = np.concatenate(ps), np.concatenate(ys)
    return round(float(roc_auc_score(y, p)), 4), int(len(y))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('peer'); ap.add_argument('fit'); ap.add_argument('sel'); ap.add_argument('test')
    ap.add_argument('--epochs', type=int, default=20)
    a = ap.parse_args()
    peer = load_peer(a.peer)
    h, w, batch = 100, 100, 64  # the peer's defaults, which bench-dkt.sh runs it with
    torch.manual_seed(0); torch.set_num_threads(2)
    tr, sel, te = peer.read4(a.fit), peer.read4(a.sel), peer.read4(a.test)
    # The peer sizes its output by the largest skill id in the training and the scored file; its
    # two runs (on SEL, on TEST) must agree for this one run to stand for both.
    sizes = {1 + max(q for s in tr + other for st in s for q in st[1]) for other in (sel, te)}
    if len(sizes) != 1:
        raise SystemExit(f"the peer would size its model differently for SEL and TEST: {sorted(sizes)}")
    ns = sizes.pop()
    Xtr = peer.tensors(peer.windows(tr, w), w, ns)
    win = lambda seqs: [(p, False) for p in peer.windows(seqs, w)]
    sel_w, te_w = win(sel), win(te)
    model = peer.DKT(ns, h); opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = Xtr[0].shape[0]
    kept, sel_aucs = [], []
    for ep in range(a.epochs):
        model.train(); t0 = time.perf_counter(); perm = torch.randperm(n)
        for s in range(0, n, batch):
            x, xm, tq, tm, y, m = (t[perm[s:s + batch]] for t in Xtr)
            p = model(x, xm, tq, tm).clamp(1e-6, 1 - 1e-6)
            loss = -((y * p.log() + (1 - y) * (1 - p).log()) * m).sum() / m.sum()
            opt.zero_grad(); loss.backward(); opt.step()
        tt = time.perf_counter() - t0
        sel_auc, _ = score(peer, model, sel_w, w, ns)
        test_auc, test_n = score(peer, model, te_w, w, ns)
        kept.append(copy.deepcopy(model.state_dict()))
        sel_aucs.append(sel_auc)
        print(json.dumps({'epoch': ep + 1, 'train_s': round(tt, 2), 'sel_auc': sel_auc, 'test_auc': test_auc, 'steps_scored': test_n, 'skills': ns}), flush=True)
    best = sel_aucs.index(max(sel_aucs))  # the first best epoch, as max() picks it in the summaries
    model.load_state_dict(kept[best])
    windows_auc, windows_n = score(peer, model, te_w, w, ns)
    deployed_auc, deployed_n = score(peer, model, deployed_pieces(te, w), w + 1, ns)
    print(json.dumps({'chosen_epoch': best + 1, 'sel_auc': sel_aucs[best], 'test_auc_windows': windows_auc, 'steps_windows': windows_n,
                      'test_auc_deployed': deployed_auc, 'steps_deployed': deployed_n}), flush=True)


if __name__ == '__main__':
    main()
