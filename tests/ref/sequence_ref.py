# Oracle for tests/test_sequence.c: Diffusion Policy's episode split (get_val_mask,
# downsample_mask: numpy default_rng choice) and create_indices, ported line by line
# from diffusion_policy/common/sampler.py, for the cases the C test reads back.
# Output lines:
#   split N VAL_RATIO SEED MAX_TRAIN : <train episode ids ascending>
#   indices T PAD_BEFORE PAD_AFTER <episode ends...> : <buffer_start buffer_end sample_start sample_end>...
import sys
import numpy as np


def get_val_mask(n_episodes, val_ratio, seed=0):
    val_mask = np.zeros(n_episodes, dtype=bool)
    if val_ratio <= 0:
        return val_mask
    n_val = min(max(1, round(n_episodes * val_ratio)), n_episodes - 1)
    rng = np.random.default_rng(seed=seed)
    val_idxs = rng.choice(n_episodes, size=n_val, replace=False)
    val_mask[val_idxs] = True
    return val_mask


def downsample_mask(mask, max_n, seed=0):
    train_mask = mask
    if (max_n is not None) and (np.sum(train_mask) > max_n):
        n_train = int(max_n)
        curr_train_idxs = np.nonzero(train_mask)[0]
        rng = np.random.default_rng(seed=seed)
        train_idxs_idx = rng.choice(len(curr_train_idxs), size=n_train, replace=False)
        train_idxs = curr_train_idxs[train_idxs_idx]
        train_mask = np.zeros_like(train_mask)
        train_mask[train_idxs] = True
    return train_mask


def create_indices(episode_ends, sequence_length, pad_before, pad_after):
    pad_before = min(max(pad_before, 0), sequence_length - 1)
    pad_after = min(max(pad_after, 0), sequence_length - 1)
    indices = []
    for i in range(len(episode_ends)):
        start_idx = episode_ends[i - 1] if i > 0 else 0
        episode_length = episode_ends[i] - start_idx
        for idx in range(-pad_before, episode_length - sequence_length + pad_after + 1):
            buffer_start_idx = max(idx, 0) + start_idx
            buffer_end_idx = min(idx + sequence_length, episode_length) + start_idx
            start_offset = buffer_start_idx - (idx + start_idx)
            end_offset = (idx + sequence_length + start_idx) - buffer_end_idx
            indices.append([buffer_start_idx, buffer_end_idx, start_offset, sequence_length - end_offset])
    return indices


out = open(sys.argv[1], "w")
splits = [(206, 0.02, 42, 90), (206, 0.02, 42, 0), (206, 0.02, 0, 90), (206, 0.5, 7, 0), (50, 0.1, 1, 20),
          (3, 0.9, 5, 0), (2, 0.02, 42, 1), (1000, 0.3, 123456789, 300), (9999, 0.01, 4294967295, 5000),
          (206, 0.0, 42, 90)]
for n, ratio, seed, max_train in splits:
    train = ~get_val_mask(n, ratio, seed)
    train = downsample_mask(train, max_train if max_train > 0 else None, seed)
    ids = " ".join(str(i) for i in np.nonzero(train)[0])
    out.write(f"split {n} {ratio!r} {seed} {max_train} : {ids}\n")

cases = [(16, 1, 7, [8, 9, 30, 30, 45]), (16, 1, 7, [1, 7, 8, 16, 17]), (4, 0, 0, [3, 4, 9]),
         (5, 4, 4, [2, 12]), (1, 0, 0, [3, 5]), (3, 2, 0, [6])]
for T, pb, pa, ends in cases:
    rows = " ".join(str(v) for r in create_indices(ends, T, pb, pa) for v in r)
    out.write(f"indices {T} {pb} {pa} {' '.join(map(str, ends))} : {rows}\n")
