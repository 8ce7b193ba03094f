"""Unknowns made explicit: witness pods stand for every pod exactly, `could_match` is sound and exact."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from netguard.selectors import LabelSelector, Requirement

from rules.anyone import admits_any_namespace, admits_any_pod
from rules.pod_templates import ALWAYS, MAYBE, PodShape
from rules.unknowns import Vocabulary, could_match, witnesses

KEYS = ("a", "b", "hash")
VALUES = ("x", "y", "z")

requirements = st.builds(
    lambda key, op, values: Requirement(key, op, frozenset(values) if op in ("In", "NotIn") else frozenset()),
    st.sampled_from(KEYS), st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2))
selectors = st.builds(
    lambda labels, exprs: LabelSelector(tuple(sorted(labels.items())), tuple(exprs)),
    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
    st.lists(requirements, max_size=2))


def completions(shape: PodShape, extra_value: str = "unnamed") -> list[dict]:
    """Every concrete label set a pod of the shape may have, over the values that matter and one more."""
    options = []
    for key, presence in sorted(shape.unknown.items()):
        values = [*VALUES, extra_value] + ([None] if presence == MAYBE else [])
        options.append([(key, v) for v in values])
    out = []
    for combo in itertools.product(*options):
        labels = dict(shape.labels)
        labels.update({k: v for k, v in combo if v is not None})
        out.append(labels)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(selectors, min_size=1, max_size=4), st.sampled_from((ALWAYS, MAYBE)), st.booleans())
def test_witnesses_tell_apart_exactly_what_real_pods_do(selector_list, presence, with_b):
    shape = PodShape("spec.template", {"a": "x"}, {"hash": presence, **({"b": MAYBE} if with_b else {})})
    found = witnesses(shape, Vocabulary.of(selector_list))
    assert found is not None

    def profile(labels):
        return tuple(s.matches(labels) for s in selector_list)

    assert {profile(w) for w in found} == {profile(c) for c in completions(shape)}


@settings(max_examples=300, deadline=None)
@given(selectors, st.dictionaries(st.sampled_from(KEYS[:1]), st.sampled_from(VALUES), max_size=1))
def test_could_match_is_true_exactly_when_some_completion_matches(selector, known):
    free = [k for k in KEYS if k not in known]
    options = [[(k, v) for v in (*VALUES, "unnamed", None)] for k in free]
    some = any(selector.matches({**known, **{k: v for k, v in combo if v is not None}})
               for combo in itertools.product(*options))
    assert could_match(selector, known) is some


def test_too_many_combinations_leave_the_workload_out():
    values = [f"v{i}" for i in range(10)]
    vocabulary = Vocabulary.of([LabelSelector(((key, v),)) for key in ("h1", "h2") for v in values])
    shape = PodShape("spec.template", {}, {"h1": ALWAYS, "h2": ALWAYS})
    assert witnesses(shape, vocabulary) is None
    assert len(witnesses(PodShape("spec.template", {}, {"h1": ALWAYS}), vocabulary)) == 11


def test_anyone_is_a_new_namespace_and_a_pod_nobody_chose():
    by_name = LabelSelector((("kubernetes.io/metadata.name", "ai-serving"),))
    assert not admits_any_namespace(by_name)
    assert admits_any_namespace(LabelSelector((), (Requirement("kubernetes.io/metadata.name", "NotIn",
                                                                 frozenset({"netguard-unknown-value"})),)))
    assert admits_any_pod(LabelSelector((), (Requirement("controller-revision-hash", "Exists"),)))
    assert not admits_any_pod(LabelSelector((), (Requirement("app", "Exists"), Requirement("app", "DoesNotExist"))))
    assert not admits_any_pod(LabelSelector((("netguard.io/role", "gateway"),)))
