"""Bad input to samplers, datasets, random_split and DataLoader."""
import math

from .harness import Case

CASES = []
add = CASES.append


def ten(api):
    return api.data.TensorDataset(api.lib.arange(10))


def iterable(api):
    class Stream(api.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    return Stream()


def batches(api):
    return api.data.BatchSampler(api.data.SequentialSampler(range(10)), 2, False)


# ---- WeightedRandomSampler: torch finds bad weights when the first epoch draws, minigrad when built ----
for description, weights, match in [
    ("a negative weight", [-1.0, 1.0], "invalid multinomial distribution (encountering probability entry < 0)"),
    ("a NaN weight", [math.nan, 1.0], "invalid multinomial distribution (encountering probability entry < 0)"),
    ("an infinite weight", [math.inf, 1.0], "invalid multinomial distribution (encountering probability entry = infinity or NaN)"),
    ("all-zero weights", [0.0, 0.0], "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("no weights", [], "invalid multinomial distribution (sum of probabilities <= 0)"),
]:
    add(Case(f"WeightedRandomSampler with {description}",
             torch=lambda api, w=weights: list(api.data.WeightedRandomSampler(w, 2)),
             minigrad=lambda api, w=weights: api.data.WeightedRandomSampler(w, 2), match=match))
add(Case("WeightedRandomSampler drawing more than it holds without replacement",
         torch=lambda api: list(api.data.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
         minigrad=lambda api: api.data.WeightedRandomSampler([1.0, 2.0], 3, replacement=False),
         match="cannot sample n_sample > prob_dist.size(-1) samples without replacement"))
for description, call, match in [
    ("WeightedRandomSampler with 2-d weights", lambda api: api.data.WeightedRandomSampler([[1.0, 2.0]], 2), "weights should be a 1d sequence but given weights have shape (1, 2)"),
    ("WeightedRandomSampler of 0 samples", lambda api: api.data.WeightedRandomSampler([1.0, 2.0], 0), "num_samples should be a positive integer value, but got num_samples=0"),
    ("WeightedRandomSampler of -1 samples", lambda api: api.data.WeightedRandomSampler([1.0, 2.0], -1), "num_samples should be a positive integer value, but got num_samples=-1"),
    ("WeightedRandomSampler of 2.5 samples", lambda api: api.data.WeightedRandomSampler([1.0, 2.0], 2.5), "num_samples should be a positive integer value, but got num_samples=2.5"),
    ("WeightedRandomSampler of True samples", lambda api: api.data.WeightedRandomSampler([1.0, 2.0], True), "num_samples should be a positive integer value, but got num_samples=True"),
    ("WeightedRandomSampler with a string replacement", lambda api: api.data.WeightedRandomSampler([1.0, 2.0], 2, replacement="yes"), "replacement should be a boolean value, but got replacement=yes"),
    ("RandomSampler of 0 samples", lambda api: api.data.RandomSampler(ten(api), num_samples=0), "num_samples should be a positive integer value, but got num_samples=0"),
    ("RandomSampler of -1 samples", lambda api: api.data.RandomSampler(ten(api), num_samples=-1), "num_samples should be a positive integer value, but got num_samples=-1"),
    ("RandomSampler of 2.5 samples", lambda api: api.data.RandomSampler(ten(api), num_samples=2.5), "num_samples should be a positive integer value, but got num_samples=2.5"),
    ("RandomSampler with replacement 1", lambda api: api.data.RandomSampler(ten(api), replacement=1), "replacement should be a boolean value, but got replacement=1"),
    ("RandomSampler of an empty dataset", lambda api: api.data.RandomSampler([]), "num_samples should be a positive integer value, but got num_samples=0"),
]:
    add(Case(description, call, match))
add(Case("WeightedRandomSampler with string weights", lambda api: api.data.WeightedRandomSampler(["a", "b"], 2),
         "'str'", error=(TypeError, ValueError), torch_match="too many dimensions 'str'"))

# ---- BatchSampler and DataLoader's batch_size ----------------------------------------------------
for value in [0, -1, 2.0, True, "2"]:
    shown = value if not isinstance(value, str) else value
    add(Case(f"BatchSampler with batch_size {value!r}",
             lambda api, v=value: api.data.BatchSampler(api.data.SequentialSampler(range(10)), v, False),
             f"batch_size should be a positive integer value, but got batch_size={shown}"))
    add(Case(f"DataLoader with batch_size {value!r}", lambda api, v=value: api.data.DataLoader(ten(api), batch_size=v),
             f"batch_size should be a positive integer value, but got batch_size={shown}"))
for value in [1, "x", None]:
    add(Case(f"BatchSampler with drop_last {value!r}",
             lambda api, v=value: api.data.BatchSampler(api.data.SequentialSampler(range(10)), 2, v),
             f"drop_last should be a boolean value, but got drop_last={value}"))
add(Case("DataLoader with drop_last 'x'", lambda api: api.data.DataLoader(ten(api), drop_last="x"),
         "drop_last should be a boolean value, but got drop_last=x"))

# ---- DataLoader's other options --------------------------------------------------------------------
for description, kwargs, match in [
    ("num_workers -1", dict(num_workers=-1), "num_workers option should be non-negative"),
    ("timeout -1", dict(timeout=-1), "timeout option should be non-negative"),
    ("prefetch_factor without workers", dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    ("prefetch_factor -1", dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    ("persistent_workers without workers", dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    ("a sampler and shuffle", "sampler+shuffle", "sampler option is mutually exclusive with shuffle"),
    ("a batch_sampler and batch_size", "batch_sampler+batch_size", "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    ("a batch_sampler and drop_last", "batch_sampler+drop_last", "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    ("a batch_sampler and shuffle", "batch_sampler+shuffle", "batch_sampler option is mutually exclusive"),
    ("batch_size None and drop_last", dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    ("a multiprocessing_context without workers", dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got num_workers=0"),
    ("an unknown multiprocessing_context", dict(num_workers=1, multiprocessing_context="bogus"), "multiprocessing_context option should specify a valid start method in ['fork', 'spawn', 'forkserver'], but got multiprocessing_context='bogus'"),
]:
    def call(api, kwargs=kwargs):
        if kwargs == "sampler+shuffle":
            kwargs = dict(sampler=api.data.SequentialSampler(range(10)), shuffle=True)
        elif kwargs == "batch_sampler+batch_size":
            kwargs = dict(batch_sampler=batches(api), batch_size=3)
        elif kwargs == "batch_sampler+drop_last":
            kwargs = dict(batch_sampler=batches(api), drop_last=True)
        elif kwargs == "batch_sampler+shuffle":
            kwargs = dict(batch_sampler=batches(api), shuffle=True)
        return api.data.DataLoader(ten(api), **kwargs)
    add(Case(f"DataLoader with {description}", call, match))
for description, kwargs, match in [
    ("shuffle", dict(shuffle=True), "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=True"),
    ("a sampler", dict(sampler=[0]), "DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=[0]"),
    ("a batch_sampler", dict(batch_sampler=[[0]]), "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=[[0]]"),
]:
    add(Case(f"DataLoader of an IterableDataset with {description}",
             lambda api, kwargs=kwargs: api.data.DataLoader(iterable(api), **kwargs), match))
for description, kwargs, match in [
    ("num_workers '2'", dict(num_workers="2"), "num_workers option should be an int, but got num_workers='2'"),
    ("timeout 'a'", dict(timeout="a"), "timeout option should be a number of seconds, but got timeout='a'"),
]:
    add(Case(f"DataLoader with {description}", lambda api, kwargs=kwargs: api.data.DataLoader(ten(api), **kwargs),
             match, torch_match="not supported between instances of 'str' and 'int'"))
for description, kwargs, match in [
    ("a collate_fn that is not callable", dict(collate_fn=3), "collate_fn should be callable, but got collate_fn=3"),
    ("a worker_init_fn that is not callable", dict(worker_init_fn=3), "worker_init_fn should be callable, but got worker_init_fn=3"),
]:
    add(Case(f"DataLoader with {description}", lambda api, kwargs=kwargs: api.data.DataLoader(ten(api), **kwargs),
             match, torch=None))  # torch fails only when the loader first calls it
for description, dataset in [("None", None), ("an int", 5)]:
    add(Case(f"DataLoader of {description}", torch=lambda api, d=dataset: list(api.data.DataLoader(d)),
             minigrad=lambda api, d=dataset: api.data.DataLoader(d), match="DataLoader needs a dataset with __getitem__",
             torch_match="has no len()"))

# ---- datasets and random_split -------------------------------------------------------------------
for description, call, match, extra in [
    ("TensorDataset of tensors of different lengths", lambda api: api.data.TensorDataset(api.lib.zeros(3), api.lib.zeros(4)), "Size mismatch between tensors", dict(error=AssertionError)),
    ("TensorDataset of a list", lambda api: api.data.TensorDataset([1, 2]), "TensorDataset expects tensors, but argument 0 is a list", dict(error=TypeError, torch_match="'list' object has no attribute 'size'")),
    ("ConcatDataset of nothing", lambda api: api.data.ConcatDataset([]), "datasets should not be an empty iterable", dict(error=AssertionError)),
    ("ConcatDataset of an IterableDataset", lambda api: api.data.ConcatDataset([iterable(api)]), "ConcatDataset does not support IterableDataset", dict(error=AssertionError)),
    ("ConcatDataset indexed below its start", lambda api: api.data.ConcatDataset([ten(api)])[-11], "absolute value of index should not exceed dataset length", {}),
    ("StackDataset of args and kwargs", lambda api: api.data.StackDataset(ten(api), a=ten(api)), "but both types are given", {}),
    ("StackDataset of different lengths", lambda api: api.data.StackDataset(ten(api), api.data.TensorDataset(api.lib.zeros(3))), "Size mismatch between datasets", {}),
    ("StackDataset of nothing", lambda api: api.data.StackDataset(), "At least one dataset should be passed", {}),
    ("random_split into lengths of the wrong sum", lambda api: api.data.random_split(ten(api), [3, 3]), "Sum of input lengths does not equal the length of the input dataset!", {}),
    ("random_split with a fraction above 1", lambda api: api.data.random_split(ten(api), [1.5, -0.5]), "Fraction at index 0 is not between 0 and 1", {}),
    ("random_split into fractions not summing to 1", lambda api: api.data.random_split(ten(api), [0.5, 0.2]), "Sum of input lengths does not equal the length of the input dataset!", {}),
    ("random_split with a negative length", lambda api: api.data.random_split(ten(api), [12, -2]), "random_split: length at index 1 is negative (-2)", dict(torch=None)),
]:
    add(Case(description, call, match, **extra))
