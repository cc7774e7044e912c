import torch

from common.sampler import DistributedSampler, balanced_weights


def shards(n, weights, world, seed=3, epoch=0):
    out = []
    for rank in range(world):
        s = DistributedSampler(n, weights, world, rank, seed)
        s.set_epoch(epoch)
        out.append(list(s))
    return out


def test_every_drawn_sample_goes_to_exactly_one_process():
    w = balanced_weights([0] * 90 + [1] * 10)
    single = shards(100, w, 1)[0]
    two = shards(100, w, 2)
    assert len(two[0]) == len(two[1]) == 50
    interleaved = [i for pair in zip(*two) for i in pair]
    assert interleaved == single  # same global stream, split position by position


def test_epochs_differ_and_are_reproducible():
    w = balanced_weights([0] * 90 + [1] * 10)
    assert shards(100, w, 1, epoch=0) == shards(100, w, 1, epoch=0)
    assert shards(100, w, 1, epoch=0) != shards(100, w, 1, epoch=1)


def test_balanced_weights_balance_the_classes():
    targets = torch.tensor([0] * 900 + [1] * 100)
    drawn = targets[shards(1000, balanced_weights(targets), 1)[0]]
    assert 0.4 < drawn.float().mean() < 0.6


def test_shuffle_mode_is_a_padded_permutation():
    two = shards(7, None, 2)
    assert sorted(two[0] + two[1])[:7] == list(range(7)) or set(two[0] + two[1]) == set(range(7))
    assert len(two[0] + two[1]) == 8 and set(two[0] + two[1]) == set(range(7))
